using System.Diagnostics;
using System.Text.RegularExpressions;
using Ristretto.Reports;
using Ristretto.Tests.Support;
using Ristretto.Zoo;

namespace Ristretto.Tests.Reports;

/// <summary>The HTML report opened in headless Chromium (Debian's package): it loads, every image decodes, nothing errs.</summary>
public class ChromiumReportTests
{
    private static (int ExitCode, string StdOut, string StdErr) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Chromium.Path!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--enable-logging=stderr", "--v=0" }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium ran past 120 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [ChromiumFact]
    public void Should_Open_The_Html_Report_With_Every_Image_Decoded_And_No_Console_Errors()
    {
        using var net = LeNet.Build();
        using var dir = new TempDir();
        var result = ReportWriter.Write(net, ReportFixture.Plans(), null, dir.File("report"));
        // A copy with a probe script: the report itself has none. It records image decoding and errors in the DOM.
        const string probe = """
            <script>
            window.__errors = [];
            window.addEventListener('error', e => window.__errors.push(String(e.message || e.target && e.target.src || 'error')), true);
            window.addEventListener('load', () => {
              const imgs = [...document.images];
              const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
              const p = document.createElement('pre');
              p.id = 'probe';
              p.textContent = 'images ' + ok + '/' + imgs.length + ' errors ' + window.__errors.length + ' tables ' + document.querySelectorAll('table').length;
              document.body.appendChild(p);
            });
            </script>
            """;
        string html = File.ReadAllText(result.Html);
        File.WriteAllText(dir.File("probe.html"), html.Replace("<head>", "<head>" + probe, StringComparison.Ordinal));

        var dom = Run("--virtual-time-budget=10000", "--dump-dom", "file://" + dir.File("probe.html"));
        Assert.True(dom.ExitCode == 0, dom.StdErr);
        var m = Regex.Match(dom.StdOut, @"images (\d+)/(\d+) errors (\d+) tables (\d+)");
        Assert.True(m.Success, "probe did not run: " + dom.StdOut[..Math.Min(400, dom.StdOut.Length)]);
        Assert.Equal("16", m.Groups[2].Value);
        Assert.Equal(m.Groups[2].Value, m.Groups[1].Value);
        Assert.Equal("0", m.Groups[3].Value);
        Assert.Equal((1 + 4).ToString(System.Globalization.CultureInfo.InvariantCulture), m.Groups[4].Value); // totals + a table per plan
        Assert.DoesNotMatch(@"CONSOLE\([^)]*\)].*(Uncaught|Error)", dom.StdErr);

        var shot = Run("--hide-scrollbars", "--window-size=1280,1600", "--screenshot=" + dir.File("shot.png"), "file://" + result.Html);
        Assert.True(shot.ExitCode == 0, shot.StdErr);
        var png = File.ReadAllBytes(dir.File("shot.png"));
        Assert.Equal(0x89, png[0]);
        Assert.True(png.Length > 20_000, $"screenshot of {png.Length} bytes looks blank");
    }
}
