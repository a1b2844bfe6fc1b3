namespace Ristretto.Search;

/// <summary>One scored candidate of a sweep: which part was trimmed, to how many bits, and the accuracy.</summary>
public sealed record SweepPoint(string Part, int Bits, double Top1, double Top5, double Score = double.NaN);
