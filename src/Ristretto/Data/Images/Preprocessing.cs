using System.Globalization;
using System.Text.Json.Serialization;
using OpenCvSharp;
using Ristretto.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Data.Images;

/// <summary>How an image is resized.</summary>
public enum Interpolation
{
    /// <summary>Bilinear without antialiasing: OpenCV's <c>INTER_LINEAR</c>, as Caffe's <c>ImageData</c> layer resized.</summary>
    Linear,

    /// <summary>Bilinear with antialiasing when shrinking, as Pillow resizes (torchvision's convention).</summary>
    Antialias,
}

/// <summary>How a center crop's offset is rounded when the margin is odd.</summary>
public enum CropRounding
{
    /// <summary>Caffe: (size − crop) / 2, rounded down.</summary>
    Floor,

    /// <summary>torchvision: round((size − crop) / 2) to nearest even.</summary>
    Round,
}

/// <summary>
/// What turns an 8-bit image into the network's input, in this order: channel order, resize, subtraction of a pixel mean
/// (Caffe's <c>mean_file</c> image or <c>mean_value</c>s, in pixel units), crop (center when evaluating, random when
/// training with <see cref="RandomCrop"/>), mirror (training, with <see cref="Mirror"/>), then
/// <c>y = ((x − pixel mean) · PixelScale − Mean[c]) / Std[c]</c>. This covers Caffe's <c>transform_param</c> and
/// torchvision's <c>Resize(256) → CenterCrop(224) → ToTensor → Normalize</c>. Serialises to JSON for model files.
/// </summary>
public sealed record Preprocessing
{
    /// <summary>The name of the convention this came from ("none", "imagenet", "caffe", "idx", or "custom").</summary>
    public string Preset { get; init; } = "none";

    /// <summary>Resize so the shorter side has this many pixels (aspect kept), or null.</summary>
    public int? ResizeShorter { get; init; }

    /// <summary>Resize to exactly this height and width, or null.</summary>
    public int[]? ResizeTo { get; init; }

    /// <summary>How resizing interpolates.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<Interpolation>))]
    public Interpolation Interpolation { get; init; } = Interpolation.Linear;

    /// <summary>Crop height and width, or null for none.</summary>
    public int[]? Crop { get; init; }

    /// <summary>How a center crop rounds its offset.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<CropRounding>))]
    public CropRounding CropRounding { get; init; } = CropRounding.Floor;

    /// <summary>Per-channel values subtracted from the pixels before scaling (Caffe's <c>mean_value</c>), or null.</summary>
    public float[]? PixelMean { get; init; }

    /// <summary>A mean image (C×H×W, pixel units, before the crop) subtracted before scaling (Caffe's <c>mean_file</c>), or null.</summary>
    public string? MeanFile { get; init; }

    /// <summary>Factor applied after the pixel mean (Caffe's <c>scale</c>, torchvision's 1/255).</summary>
    public float PixelScale { get; init; } = 1;

    /// <summary>Per-channel mean subtracted after scaling, or null.</summary>
    public float[]? Mean { get; init; }

    /// <summary>Per-channel standard deviation divided by last, or null.</summary>
    public float[]? Std { get; init; }

    /// <summary>The channel order the network takes, or null to keep what the source stores.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<ChannelOrder>))]
    public ChannelOrder? Order { get; init; }

    /// <summary>Training crops at a random offset (Caffe crops at random in the TRAIN phase).</summary>
    public bool RandomCrop { get; init; } = true;

    /// <summary>Training mirrors images at random (Caffe's <c>mirror</c>).</summary>
    public bool Mirror { get; init; }

    /// <summary>Pixel values as they are, as floats.</summary>
    public static Preprocessing None { get; } = new();

    /// <summary>Today's IDX behaviour: gray bytes scaled by 1/256 (Caffe LeNet's <c>scale: 0.00390625</c>).</summary>
    public static Preprocessing Idx { get; } = new() { Preset = "idx", PixelScale = TensorImageSet.Scale };

    /// <summary>torchvision's ImageNet convention: shorter side 256 (antialiased), center crop 224, RGB, /255, mean/std.</summary>
    public static Preprocessing ImageNet { get; } = new()
    {
        Preset = "imagenet", ResizeShorter = 256, Interpolation = Interpolation.Antialias, Crop = [224, 224], CropRounding = CropRounding.Round,
        PixelScale = 1f / 255, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f], Order = ChannelOrder.Rgb,
    };

    /// <summary>The preset named <paramref name="name"/>: none, imagenet or idx.</summary>
    public static Preprocessing Named(string name) => name.ToLowerInvariant() switch
    {
        "none" => None,
        "imagenet" => ImageNet,
        "idx" => Idx,
        _ => throw new RistrettoException($"--preprocess {name}: expected none or imagenet"),
    };

    /// <summary>Equal when every setting is, lists compared value by value.</summary>
    public bool Equals(Preprocessing? other) =>
        other is not null && Preset == other.Preset && ResizeShorter == other.ResizeShorter && Same(ResizeTo, other.ResizeTo)
        && Interpolation == other.Interpolation && Same(Crop, other.Crop) && CropRounding == other.CropRounding
        && Same(PixelMean, other.PixelMean) && MeanFile == other.MeanFile && PixelScale.Equals(other.PixelScale)
        && Same(Mean, other.Mean) && Same(Std, other.Std) && Order == other.Order && RandomCrop == other.RandomCrop && Mirror == other.Mirror;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Preset, ResizeShorter, Crop?.Length, PixelScale, Mean?.Length, Order, Mirror);

    private static bool Same<T>(T[]? a, T[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    /// <summary>
    /// Whether evaluation does nothing but multiply pixel values by <see cref="PixelScale"/> (no resize, crop, mean or
    /// std): an IDX set is then held in memory with that scale, the same values as streaming it.
    /// </summary>
    [JsonIgnore]
    public bool IsPureScale => ResizeShorter == null && ResizeTo == null && Crop == null && PixelMean == null && MeanFile == null
        && Mean == null && Std == null;

    /// <summary>One line for logs: what happens to each image.</summary>
    public string Describe()
    {
        var parts = new List<string> { Preset };
        if (Order is { } o)
            parts.Add(o.ToString().ToUpperInvariant());
        if (ResizeShorter is { } s)
            parts.Add($"resize shorter side {s} ({Interpolation.ToString().ToLowerInvariant()})");
        if (ResizeTo is { } r)
            parts.Add($"resize {r[0]}×{r[1]} ({Interpolation.ToString().ToLowerInvariant()})");
        if (MeanFile != null)
            parts.Add($"mean file {Path.GetFileName(MeanFile)}");
        if (PixelMean != null)
            parts.Add($"pixel mean {Join(PixelMean)}");
        if (Crop is { } c)
            parts.Add($"crop {c[0]}×{c[1]}");
        if (PixelScale != 1)
            parts.Add($"scale {PixelScale.ToString("G6", CultureInfo.InvariantCulture)}");
        if (Mean != null)
            parts.Add($"mean {Join(Mean)}");
        if (Std != null)
            parts.Add($"std {Join(Std)}");
        if (Mirror)
            parts.Add("mirror (train)");
        return string.Join(", ", parts);
    }

    private static string Join(float[] v) => string.Join("/", v.Select(x => x.ToString("G6", CultureInfo.InvariantCulture)));

    /// <summary>Checks sizes and per-channel lists against a network input of <paramref name="channels"/> channels.</summary>
    public Preprocessing Validate(int channels)
    {
        void Check(float[]? values, string what)
        {
            if (values != null && values.Length != 1 && values.Length != channels)
                throw new RistrettoException($"{what} has {values.Length} values; the network takes {channels} channel(s) (give 1 or {channels})");
        }
        Check(PixelMean, "the pixel mean");
        Check(Mean, "--mean");
        Check(Std, "--std");
        if (Std != null && Std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new RistrettoException($"--std {Join(Std)}: every value must be positive");
        if (!(PixelScale > 0) || !float.IsFinite(PixelScale))
            throw new RistrettoException($"--pixel-scale {PixelScale}: must be positive");
        if (ResizeShorter is < 1 || ResizeTo is { } r && (r.Length != 2 || r[0] < 1 || r[1] < 1) || Crop is { } c && (c.Length != 2 || c[0] < 1 || c[1] < 1))
            throw new RistrettoException("resize and crop sizes must be positive");
        if (ResizeShorter != null && ResizeTo != null)
            throw new RistrettoException("give one resize: the shorter side or a height×width");
        return this;
    }

    /// <summary>The height and width an image of <paramref name="height"/>×<paramref name="width"/> has after the resize.</summary>
    public (int Height, int Width) ResizedSize(int height, int width)
    {
        if (ResizeTo is { } r)
            return (r[0], r[1]);
        if (ResizeShorter is { } s)
        {
            // torchvision: the shorter side becomes s, the longer int(s · long / short).
            return height <= width ? (s, (int)((long)s * width / height)) : ((int)((long)s * height / width), s);
        }
        return (height, width);
    }

    /// <summary>The output height and width for a resized image of <paramref name="height"/>×<paramref name="width"/>.</summary>
    public (int Height, int Width) OutputSize(int height, int width) => Crop is { } c ? (c[0], c[1]) : (height, width);

    /// <summary>
    /// Transforms <paramref name="image"/> into <paramref name="output"/> (C×H×W floats). A random seed is
    /// given when training: the crop is then random (with <see cref="RandomCrop"/>) and the image mirrored half the
    /// time (with <see cref="Mirror"/>), drawn from <paramref name="randomSeed"/>. <paramref name="meanImage"/> is the
    /// loaded <see cref="MeanFile"/>.
    /// </summary>
    public void Apply(DecodedImage image, Span<float> output, int outHeight, int outWidth, string name, ulong? randomSeed = null, MeanImage? meanImage = null)
    {
        var random = randomSeed is { } seed ? new SplitMix64(seed) : (SplitMix64?)null;
        image = Reorder(image);
        image = Resize(image);
        int c = image.Channels, h = image.Height, w = image.Width;
        if (meanImage != null && (meanImage.Channels != c || meanImage.Height != h || meanImage.Width != w))
            throw new RistrettoException($"{name}: the mean file is {meanImage.Channels}×{meanImage.Height}×{meanImage.Width} but the image is {c}×{h}×{w} (before the crop)");
        int ch = outHeight, cw = outWidth;
        if (h < ch || w < cw)
            throw new RistrettoException($"{name}: image of {h}×{w} is smaller than the {ch}×{cw} the network takes{(Crop == null ? " (give --resize or --crop)" : " (crop)")}");
        if (Crop == null && (h != ch || w != cw))
            throw new RistrettoException($"{name}: image of {h}×{w} but the network takes {ch}×{cw}; give --resize and/or --crop (or --preprocess imagenet)");
        int top, left;
        var rng = random.GetValueOrDefault();
        if (random != null && RandomCrop)
        {
            top = rng.NextInt(h - ch + 1);
            left = rng.NextInt(w - cw + 1);
        }
        else if (CropRounding == CropRounding.Round)
        {
            top = (int)Math.Round((h - ch) / 2.0, MidpointRounding.ToEven);
            left = (int)Math.Round((w - cw) / 2.0, MidpointRounding.ToEven);
        }
        else
        {
            top = (h - ch) / 2;
            left = (w - cw) / 2;
        }
        bool mirror = random != null && Mirror && rng.NextInt(2) == 1;
        var pixels = image.Pixels;
        for (int k = 0; k < c; k++)
        {
            float pm = PixelMean is { } p ? p[p.Length == 1 ? 0 : k] : 0;
            float mean = Mean is { } m ? m[m.Length == 1 ? 0 : k] : 0;
            float std = Std is { } s ? s[s.Length == 1 ? 0 : k] : 1;
            bool normalise = Mean != null || Std != null;
            var plane = output.Slice(k * ch * cw, ch * cw);
            for (int y = 0; y < ch; y++)
            {
                int sy = top + y;
                int row = (sy * w + left) * c + k;
                int meanRow = meanImage == null ? -1 : (k * h + sy) * w + left;
                for (int x = 0; x < cw; x++)
                {
                    float v = pixels[row + x * c];
                    v = meanRow >= 0 ? v - meanImage!.Data[meanRow + x] : v - pm;
                    v *= PixelScale;
                    if (normalise)
                        v = (v - mean) / std;
                    plane[y * cw + (mirror ? cw - 1 - x : x)] = v;
                }
            }
        }
    }

    private DecodedImage Reorder(DecodedImage image)
    {
        if (image.Channels != 3 || Order is not { } order || order == image.Order)
            return image;
        var swapped = (byte[])image.Pixels.Clone();
        for (int i = 0; i < swapped.Length; i += 3)
            (swapped[i], swapped[i + 2]) = (swapped[i + 2], swapped[i]);
        return image with { Pixels = swapped, Order = order };
    }

    /// <summary>The resized image (unchanged when no resize is asked for or the size already matches).</summary>
    public DecodedImage Resize(DecodedImage image)
    {
        var (h, w) = ResizedSize(image.Height, image.Width);
        if (h == image.Height && w == image.Width)
            return image;
        return Interpolation == Interpolation.Linear ? ResizeLinear(image, h, w) : ResizeAntialias(image, h, w);
    }

    /// <summary>OpenCV's <c>INTER_LINEAR</c>, what Caffe's ImageData layer called.</summary>
    internal static DecodedImage ResizeLinear(DecodedImage image, int height, int width)
    {
        using var source = ImageCodec.ToMat(image);
        using var resized = new Mat();
        Cv2.Resize(source, resized, new OpenCvSharp.Size(width, height), 0, 0, InterpolationFlags.Linear);
        return ImageCodec.FromMat(resized, "resize") with { Order = image.Order };
    }

    /// <summary>
    /// Bilinear with antialiasing, computed by libtorch's <c>interpolate(antialias: true)</c> on the 8-bit image (the
    /// kernel torchvision uses to match Pillow's <c>resize(BILINEAR)</c>).
    /// </summary>
    internal static DecodedImage ResizeAntialias(DecodedImage image, int height, int width)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(image.Pixels, [1, image.Height, image.Width, image.Channels]).permute(0, 3, 1, 2);
        var output = nn.functional.interpolate(input, [height, width], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        var hwc = output.permute(0, 2, 3, 1).contiguous();
        var pixels = new byte[height * width * image.Channels];
        hwc.data<byte>().CopyTo(pixels);
        return new DecodedImage(pixels, height, width, image.Channels, image.Order);
    }
}
