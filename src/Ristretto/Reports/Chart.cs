namespace Ristretto.Reports;

/// <summary>A rendered chart: its file stem, caption, PNG bytes and SVG text.</summary>
/// <param name="Name">File stem (e.g. "energy-accuracy").</param>
/// <param name="Caption">What the chart shows.</param>
/// <param name="Png">The PNG image.</param>
/// <param name="Svg">The same chart as SVG.</param>
public sealed record Chart(string Name, string Caption, byte[] Png, string Svg);
