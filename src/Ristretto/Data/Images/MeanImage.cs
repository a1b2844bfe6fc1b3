namespace Ristretto.Data.Images;

/// <summary>A per-pixel mean (C×H×W floats, pixel units), as Caffe's <c>mean_file</c> holds it.</summary>
public sealed record MeanImage(float[] Data, int Channels, int Height, int Width);
