using System.CommandLine;
using System.Globalization;
using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Data.Sources;

namespace Ristretto.Cli.Infrastructure;

/// <summary>
/// The data options every verb that reads images shares (same names, same meaning on each): the splits, how many
/// images, how sources are read, and the preprocessing. <see cref="Settings"/> turns a parse result into the library's
/// <see cref="DataSettings"/>.
/// </summary>
public sealed class DataOptions
{
    private readonly Option<string> _data = CommonOptions.Data();
    private readonly Option<string?> _trainData = new("--train-data") { Description = "Training data (training, fine-tuning, and calibration unless --calibration-data): any source --data takes; default: --data's training split." };
    private readonly Option<string?> _calibrationData = new("--calibration-data") { Description = "Calibration data (value ranges): any source --data takes; default: the training data." };
    private readonly Option<int?> _images = new("--images") { Description = "Evaluate N images: the first N, or a seeded subset with --subset-seed (default: all)." };
    private readonly Option<ulong?> _subsetSeed = new("--subset-seed") { Description = "With --images: a random subset drawn with this seed instead of the first N." };
    private readonly Option<int?> _calibrationImages = new("--calibration-images") { Description = "Images measured for calibration (default 640; supersedes --calibration-batches)." };
    private readonly Option<string?> _root = new("--root") { Description = "Folder an ImageData list's paths are relative to (default: the list's folder)." };
    private readonly Option<string?> _classes = new("--classes") { Description = "File naming the classes in label order, one per line (default: class folder names in ordinal order)." };
    private readonly Option<string> _label = new("--label") { Description = "CIFAR-100: fine (100 classes) or coarse (20 superclasses) labels.", DefaultValueFactory = _ => "fine" };
    private readonly Option<string?> _preprocess = new("--preprocess") { Description = "Preprocessing convention: none (pixel values as floats) or imagenet (torchvision: shorter side 256 antialiased, center crop 224, RGB, /255, ImageNet mean/std). Default: what the model remembers or its prototxt's transform_param; IDX data: /256." };
    private readonly Option<string?> _resize = new("--resize") { Description = "Resize: N (shorter side to N, aspect kept) or HxW." };
    private readonly Option<string?> _crop = new("--crop") { Description = "Crop: N or HxW (center when evaluating, random when training)." };
    private readonly Option<string?> _mean = new("--mean") { Description = "Per-channel mean subtracted after --pixel-scale, comma-separated (e.g. 0.485,0.456,0.406)." };
    private readonly Option<string?> _std = new("--std") { Description = "Per-channel standard deviation divided by last, comma-separated." };
    private readonly Option<float?> _pixelScale = new("--pixel-scale") { Description = "Factor applied to pixel values (e.g. 0.00390625 as Caffe's LeNet, 0.0039215686 for /255)." };
    private readonly Option<string?> _order = new("--channel-order") { Description = "Channel order the network takes: rgb or bgr (default: the preset's; none keeps the source's)." };
    private readonly Option<bool> _mirror = new("--mirror") { Description = "Training: mirror images at random (Caffe's mirror)." };
    private readonly Option<bool> _skipBad = new("--skip-bad-images") { Description = "Leave out unreadable images with a warning and a count instead of stopping." };
    private readonly Option<int?> _threads = new("--threads") { Description = "Threads for the work: image decoding workers and libtorch's intra-op threads (default: all cores)." };

    /// <summary>Adds the options to <paramref name="command"/>; <paramref name="subset"/> adds --images/--subset-seed, <paramref name="calibration"/> the calibration options.</summary>
    public DataOptions(Command command, bool subset = true, bool calibration = false, bool training = false)
    {
        ArgumentNullException.ThrowIfNull(command);
        _label.AcceptOnlyFromAmong("fine", "coarse");
        _order.AcceptOnlyFromAmong("rgb", "bgr");
        command.Options.Add(_data);
        command.Options.Add(_trainData);
        if (calibration)
        {
            command.Options.Add(_calibrationData);
            command.Options.Add(_calibrationImages);
        }
        if (subset)
        {
            command.Options.Add(_images);
            command.Options.Add(_subsetSeed);
        }
        foreach (var o in new Option[] { _root, _classes, _label, _preprocess, _resize, _crop, _mean, _std, _pixelScale, _order, _skipBad, _threads })
            command.Options.Add(o);
        if (training)
            command.Options.Add(_mirror);
    }

    /// <summary>Whether --data was given on the command line (not its default).</summary>
    public bool Given(ParseResult r) => r.GetResult(_data) is { Implicit: false };

    /// <summary>The --data value.</summary>
    public string Data(ParseResult r) => r.GetValue(_data)!;

    /// <summary>
    /// The settings the options give. <paramref name="images"/> is an older option's count of evaluated images (for
    /// example --iterations × --batch-size) and <paramref name="calibrationImages"/> --calibration-batches × 64; giving
    /// one of those with its newer option is an error.
    /// </summary>
    public DataSettings Settings(ParseResult r, (string Option, int Images)? images = null, (string Option, int Images)? calibrationImages = null)
    {
        int? n = r.GetValue(_images);
        if (n != null && images is { } old)
            throw new RistrettoException($"--images supersedes {old.Option}; give one of them");
        n ??= images?.Images;
        int? c = r.GetValue(_calibrationImages);
        if (c != null && calibrationImages is { } oldCal)
            throw new RistrettoException($"--calibration-images supersedes {oldCal.Option}; give one of them");
        c ??= calibrationImages?.Images;
        if (r.GetValue(_subsetSeed) != null && n == null)
            throw new RistrettoException("--subset-seed goes with --images (or --iterations)");
        if (r.GetValue(_threads) is < 1)
            throw new RistrettoException($"--threads must be ≥ 1, got {r.GetValue(_threads)}");
        if (r.GetValue(_threads) is { } threads)
            TorchSharp.torch.set_num_threads(threads);
        var warnings = 0;
        return new DataSettings
        {
            Data = r.GetValue(_data)!,
            TrainData = r.GetValue(_trainData),
            CalibrationData = r.GetValue(_calibrationData),
            Open = new DataOpenOptions { Root = r.GetValue(_root), ClassesFile = r.GetValue(_classes), CifarLabel = r.GetValue(_label) == "coarse" ? CifarLabel.Coarse : CifarLabel.Fine },
            Images = n,
            SubsetSeed = r.GetValue(_subsetSeed),
            CalibrationImages = c ?? 640,
            Preprocessing = r.GetValue(_preprocess) is { } preset ? Ristretto.Data.Images.Preprocessing.Named(preset) : null,
            Adjust = Preprocessing(r) is null ? null : p => Preprocessing(r, p)!,
            Streaming = new StreamingOptions
            {
                Workers = r.GetValue(_threads) ?? Environment.ProcessorCount,
                SkipBadImages = r.GetValue(_skipBad),
                Warn = message => { if (Interlocked.Increment(ref warnings) <= 20) Log.Info($"warning: skipped {message}"); },
            },
        }.Validate();
    }

    /// <summary>
    /// The preprocessing the flags ask for: <paramref name="fallback"/> (the preprocessing that otherwise applies: the
    /// preset, the model's, or the source's default) with the explicit flags overriding its fields, or null when no flag is given.
    /// </summary>
    public Preprocessing? Preprocessing(ParseResult r, Preprocessing? fallback = null)
    {
        bool any = r.GetValue(_preprocess) != null || r.GetValue(_resize) != null || r.GetValue(_crop) != null || r.GetValue(_mean) != null
            || r.GetValue(_std) != null || r.GetValue(_pixelScale) != null || r.GetValue(_order) != null || r.GetValue(_mirror);
        if (!any)
            return null;
        var p = fallback ?? (r.GetValue(_preprocess) is { } name ? Ristretto.Data.Images.Preprocessing.Named(name) : Ristretto.Data.Images.Preprocessing.None);
        bool custom = false;
        if (r.GetValue(_resize) is { } resize)
        {
            var size = Size(resize, "--resize");
            p = size.Length == 1 ? p with { ResizeShorter = size[0], ResizeTo = null } : p with { ResizeTo = size, ResizeShorter = null };
            custom = true;
        }
        if (r.GetValue(_crop) is { } crop)
        {
            var size = Size(crop, "--crop");
            p = p with { Crop = size.Length == 1 ? [size[0], size[0]] : size };
            custom = true;
        }
        if (r.GetValue(_mean) is { } mean)
            (p, custom) = (p with { Mean = Floats(mean, "--mean") }, true);
        if (r.GetValue(_std) is { } std)
            (p, custom) = (p with { Std = Floats(std, "--std") }, true);
        if (r.GetValue(_pixelScale) is { } scale)
            (p, custom) = (p with { PixelScale = scale }, true);
        if (r.GetValue(_order) is { } order)
            (p, custom) = (p with { Order = order == "bgr" ? ChannelOrder.Bgr : ChannelOrder.Rgb }, true);
        if (r.GetValue(_mirror))
            (p, custom) = (p with { Mirror = true }, true);
        return custom ? p with { Preset = p.Preset == "none" ? "custom" : p.Preset + "+custom" } : p;
    }

    private static int[] Size(string text, string option)
    {
        var parts = text.ToLowerInvariant().Split('x', '×');
        if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1))
            throw new RistrettoException($"{option} {text}: expected N or HxW with positive sizes (e.g. 256 or 224x224)");
        return parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
    }

    private static float[] Floats(string text, string option)
    {
        var parts = text.Split(',');
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new RistrettoException($"{option} {text}: value {i + 1} ('{parts[i].Trim()}') is not a number");
        return values;
    }
}
