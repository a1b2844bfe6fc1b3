using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ristretto.Reports;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using SkiaSharp;
using Xunit.Abstractions;

namespace Ristretto.Tests.Reports;

/// <summary>
/// The HTML report opened in headless Chromium (Debian's package, which build/install.sh installs): every chart decodes
/// and is laid out, every table has rows, no script or resource error, and a full-page screenshot (kept in the test
/// output folder, artifacts/chromium-report.png) shows each chart with content where the page placed it.
/// </summary>
public class ChromiumReportTests(ITestOutputHelper output)
{
    private const int Width = 1280, MaxHeight = 16000;

    /// <summary>
    /// Added to a copy of the report (which itself has no script): records errors and, once the page and its images
    /// have loaded, writes what it found, as JSON, into the DOM that --dump-dom prints. (Awaiting img.decode() would
    /// outlast --virtual-time-budget: decoding runs outside virtual time.)
    /// </summary>
    private const string Probe = """
        <script>
        window.__errors = [];
        window.addEventListener('error', e => window.__errors.push(String(e.message || (e.target && e.target.alt) || 'error')), true);
        window.addEventListener('load', () => {
          const imgs = [...document.images];
          const rect = el => { const r = el.getBoundingClientRect(); return { x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height }; };
          const found = {
            images: imgs.map(i => ({ alt: i.alt, decoded: i.complete && i.naturalWidth > 0 && i.naturalHeight > 0, box: rect(i) })),
            tables: [...document.querySelectorAll('table')].map(t => ({ rows: t.tBodies.length ? t.tBodies[0].rows.length : 0, columns: t.tHead ? t.tHead.rows[0].cells.length : 0, box: rect(t) })),
            errors: window.__errors,
            height: document.documentElement.scrollHeight,
          };
          const p = document.createElement('pre');
          p.textContent = 'PROBE' + JSON.stringify(found) + 'EBORP';
          document.body.appendChild(p);
        });
        </script>
        """;

    private sealed record Box(double X, double Y, double W, double H);
    private sealed record Image(string Alt, bool Decoded, Box Box);
    private sealed record Table(int Rows, int Columns, Box Box);
    private sealed record Found(Image[] Images, Table[] Tables, string[] Errors, int Height);

    private static ChildProcess.Result Run(params string[] args) =>
        ChildProcess.Run(Chromium.Path!, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            "--enable-logging=stderr", "--v=0", .. args], timeoutSeconds: 120);

    [ChromiumFact]
    public void Should_Render_Every_Chart_And_Table_Without_Errors_And_Save_A_Screenshot()
    {
        Assert.True(Chromium.Path != null, "CI=true and chromium is not on PATH: build/install.sh installs Debian's chromium");
        using var net = LeNet.Build();
        using var dir = new TempDir();
        var result = ReportWriter.Write(net, ReportFixture.Plans(), null, dir.File("report"));
        string html = File.ReadAllText(result.Html);
        File.WriteAllText(dir.File("probe.html"), html.Replace("<head>", "<head>" + Probe, StringComparison.Ordinal));

        var dom = Run("--virtual-time-budget=10000", $"--window-size={Width},1600", "--dump-dom", "file://" + dir.File("probe.html"));
        Assert.True(dom.ExitCode == 0, dom.StdErr);
        var m = Regex.Match(dom.StdOut, @"PROBE(\{.*\})EBORP", RegexOptions.Singleline); // not the script's own text
        Assert.True(m.Success, $"the probe did not finish; the page ends with: {dom.StdOut[Math.Max(0, dom.StdOut.Length - 300)..]}\n{dom.StdErr}");
        var found = JsonSerializer.Deserialize<Found>(WebUtility.HtmlDecode(m.Groups[1].Value), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        // Every chart the writer embedded (2 + 2 + a histogram per quantized layer and plan) decoded and has a box on the page.
        Assert.Equal(16, Regex.Count(html, "<img "));
        Assert.Equal(16, found.Images.Length);
        Assert.All(found.Images, i => Assert.True(i.Decoded && i.Box.W > 100 && i.Box.H > 100, $"chart '{i.Alt}' not rendered: {i}"));
        // The totals table and one per plan, each with its header and rows, laid out.
        Assert.Equal(1 + result.Data.Plans.Count, found.Tables.Length);
        Assert.Equal(Regex.Count(html, "<table>"), found.Tables.Length);
        Assert.All(found.Tables, t => Assert.True(t.Rows > 0 && t.Columns > 1 && t.Box.H > 0, $"table not rendered: {t}"));
        Assert.Equal(result.Data.Plans.Count, found.Tables[0].Rows);
        Assert.Empty(found.Errors);
        Assert.DoesNotMatch(@"CONSOLE\([^)]*\)].*(Uncaught|Error)", dom.StdErr);

        // The whole page in one screenshot, kept beside the test assembly for a look.
        int height = Math.Min(found.Height, MaxHeight);
        string artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        string png = Path.Combine(artifacts, "chromium-report.png");
        File.Delete(png);
        var shot = Run($"--window-size={Width},{height}", "--screenshot=" + png, "file://" + result.Html);
        Assert.True(shot.ExitCode == 0 && File.Exists(png), shot.StdErr);
        output.WriteLine($"screenshot: {png} ({Width}×{height}, {new FileInfo(png).Length / 1024} KB); {found.Images.Length} charts, {found.Tables.Length} tables");

        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal((Width, height), (bitmap.Width, bitmap.Height));
        // Each chart's place in the screenshot holds a drawing (axes, text, marks in several colours), not a blank box.
        foreach (var image in found.Images.Where(i => i.Box.Y + i.Box.H <= height))
        {
            var (colours, inked) = Content(bitmap, image.Box);
            Assert.True(colours >= 8 && inked >= 0.01, string.Create(CultureInfo.InvariantCulture,
                $"chart '{image.Alt}' looks blank in the screenshot: {colours} colours, {inked:P1} non-white"));
        }
    }

    /// <summary>Distinct colours (5 bits a channel) and the fraction of non-white pixels inside <paramref name="box"/>.</summary>
    private static (int Colours, double Inked) Content(SKBitmap bitmap, Box box)
    {
        int x0 = (int)box.X, y0 = (int)box.Y, x1 = Math.Min(bitmap.Width, (int)(box.X + box.W)), y1 = Math.Min(bitmap.Height, (int)(box.Y + box.H));
        var colours = new HashSet<int>();
        long inked = 0, total = 0;
        for (int y = y0; y < y1; y += 2)
            for (int x = x0; x < x1; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                colours.Add((c.Red >> 3) << 10 | (c.Green >> 3) << 5 | (c.Blue >> 3));
                inked += c.Red < 245 || c.Green < 245 || c.Blue < 245 ? 1 : 0;
                total++;
            }
        return (colours.Count, total == 0 ? 0 : (double)inked / total);
    }
}
