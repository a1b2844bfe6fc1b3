using Ristretto.Data.Images;
using Ristretto.Data.Sources;
using Ristretto.Engine;
using static TorchSharp.torch;

namespace Ristretto.Data;

/// <summary>
/// Which data a job reads and how: the evaluated split (<see cref="Data"/>), the training split (<see cref="TrainData"/>,
/// default: the other split of <see cref="Data"/>), the calibration images (<see cref="CalibrationData"/>, default: the
/// training split, or for a one-split source a seeded sample disjoint from the evaluated images), how many of each,
/// and the preprocessing. Validated when built, before anything is read.
/// </summary>
public sealed record DataSettings
{
    /// <summary>The evaluated data (and the training data where it has two splits).</summary>
    public string Data { get; init; } = "mnist";

    /// <summary>Training (and default calibration) data, or null for <see cref="Data"/>'s training split.</summary>
    public string? TrainData { get; init; }

    /// <summary>Calibration data, or null for the training data.</summary>
    public string? CalibrationData { get; init; }

    /// <summary>How the sources are read (ImageData root, classes file, CIFAR-100 label).</summary>
    public DataOpenOptions Open { get; init; } = new();

    /// <summary>Evaluated images: the first N, or a seeded subset with <see cref="SubsetSeed"/>; null for all.</summary>
    public int? Images { get; init; }

    /// <summary>Seed of a random subset of <see cref="Images"/> evaluated images, or null for the first N.</summary>
    public ulong? SubsetSeed { get; init; }

    /// <summary>Images measured for calibration.</summary>
    public int CalibrationImages { get; init; } = 640;

    /// <summary>Explicit preprocessing, or null for the model's (remembered or from its prototxt) or the source's default.</summary>
    public Preprocessing? Preprocessing { get; init; }

    /// <summary>Changes applied on top of whichever preprocessing applies (explicit flags such as --crop or --mirror).</summary>
    public Func<Preprocessing, Preprocessing>? Adjust { get; init; }

    /// <summary>How streamed sets read.</summary>
    public StreamingOptions Streaming { get; init; } = new();

    /// <summary>Checks the numbers.</summary>
    public DataSettings Validate()
    {
        if (Images is < 1)
            throw new RistrettoException($"--images must be ≥ 1, got {Images}");
        if (CalibrationImages < 1)
            throw new RistrettoException($"--calibration-images must be ≥ 1, got {CalibrationImages}");
        return this;
    }
}

/// <summary>The sets a job reads, built from <see cref="DataSettings"/> for a network input shape.</summary>
public sealed class JobData : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private JobData()
    {
    }

    /// <summary>The evaluated set (null when the job did not ask for it).</summary>
    public ImageDataset? Eval { get; private set; }

    /// <summary>The training set (null when not asked for).</summary>
    public ImageDataset? Train { get; private set; }

    /// <summary>The calibration set (null when not asked for).</summary>
    public ImageDataset? Calibration { get; private set; }

    /// <summary>The preprocessing applied to evaluated images (null for the in-memory IDX path).</summary>
    public Preprocessing? Preprocessing { get; private set; }

    /// <summary>The preprocessing applied to the calibration images (null when they were not asked for).</summary>
    public Preprocessing? CalibrationPreprocessing { get; private set; }

    /// <summary>What was opened, for logs.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>
    /// Opens what a job needs. <paramref name="inputShape"/> is the network's input (N, C, H, W);
    /// <paramref name="modelPreprocessing"/> what the model remembers or its prototxt says (used unless the settings
    /// give one). <paramref name="log"/> receives one line per choice made (stderr in the CLI).
    /// </summary>
    public static JobData Open(DataSettings settings, long[] inputShape, Device device, bool eval, bool train, bool calibration,
        Preprocessing? modelPreprocessing = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (inputShape.Length != 4)
            throw new RistrettoException($"the network takes an input of rank {inputShape.Length}; image data feeds N×C×H×W");
        long[] shape = inputShape[1..];
        var job = new JobData();
        try
        {
            var main = job.Own(DataSource.Open(settings.Data, settings.Open, log));
            log?.Invoke($"data: {main.Describe()}");
            var preprocessing = settings.Preprocessing ?? modelPreprocessing;
            ImageDataset Build(IImageSource source, string role)
            {
                var p = preprocessing ?? (source is IdxSource || (source is SubsetSource s && s.Kind == "idx") ? Images.Preprocessing.Idx : Images.Preprocessing.None);
                if (settings.Adjust != null)
                    p = settings.Adjust(p);
                job.Preprocessing ??= p;
                if (role == "calibration")
                    job.CalibrationPreprocessing = p;
                // IDX data whose preprocessing only scales (and does not mirror training images) stays in memory: the same values, faster.
                bool inMemory = p.IsPureScale && !(role == "training" && p.Mirror);
                if (inMemory && source.Kind == "idx" && p != Images.Preprocessing.Idx)
                    log?.Invoke($"{role}: {source.Count:N0} images of {source.Name} (in memory), preprocessing: {p.Describe()}");
                if (inMemory && source is IdxSource idx && shape.SequenceEqual(new long[] { 1, idx.Height, idx.Width }))
                    return job.Own(new TensorImageSet(idx.Set, device, p.PixelScale));
                if (inMemory && source is SubsetSource { Kind: "idx" } sub && sub.Parent is IdxSource parent
                    && shape.SequenceEqual(new long[] { 1, parent.Height, parent.Width }))
                    return job.Own(new TensorImageSet(parent.Subset(sub.Indices, sub.Name), device, p.PixelScale));
                var mean = p.MeanFile is { } file ? Interchange.Caffe.Data.CaffeMeanFile.Load(file) : null;
                log?.Invoke($"{role}: {source.Count:N0} images of {source.Name}, preprocessing: {p.Describe()}");
                var set = job.Own(new StreamingImageSet(source, p, shape, device, settings.Streaming, mean, ownsSource: false));
                // Read one image now, so a size or channel mismatch is an error before any work starts (with
                // --skip-bad-images, the first readable one of the first few).
                for (int probe = 0; ; probe++)
                {
                    try
                    {
                        using (NewDisposeScope())
                            set.Gather([probe]);
                        break;
                    }
                    catch (RistrettoException) when (settings.Streaming.SkipBadImages && probe + 1 < Math.Min(source.Count, 8))
                    {
                    }
                }
                return set;
            }
            // A one-split source with nothing else to calibrate on gives calibration a seeded sample disjoint from the
            // evaluated images: drawn outside the --images subset, or, without --images, held out of the evaluated set.
            bool holdOut = calibration && settings.CalibrationData == null && settings.TrainData == null && main.Train == null;
            const ulong calibrationSeed = 0xCA11B;
            var all = main.Eval;
            int[]? calibrationPick = null;
            int[]? evaluated = null;
            if (settings.Images is { } n && (n < all.Count || holdOut))
            {
                n = Math.Min(n, all.Count);
                evaluated = settings.SubsetSeed is { } seed ? Sample(all.Count, n, seed, new HashSet<int>()) : Enumerable.Range(0, n).ToArray();
            }
            if (holdOut)
            {
                if (evaluated != null)
                {
                    if (all.Count - evaluated.Length < 1)
                        throw new RistrettoException($"--data {settings.Data} has one split and every image is evaluated; give --calibration-data or --train-data, or fewer --images");
                    calibrationPick = Sample(all.Count, settings.CalibrationImages, calibrationSeed, evaluated.ToHashSet());
                    log?.Invoke($"calibration: {calibrationPick.Length:N0} images sampled (seed {calibrationSeed:X}) from {all.Name}, disjoint from the {evaluated.Length:N0} evaluated ones" +
                        " (one-split data; --calibration-data or --train-data to choose)");
                }
                else
                {
                    if (all.Count < 2)
                        throw new RistrettoException($"--data {settings.Data} has one image; give --calibration-data or --train-data");
                    calibrationPick = Sample(all.Count, Math.Min(settings.CalibrationImages, all.Count / 2), calibrationSeed, new HashSet<int>());
                    var held = calibrationPick.ToHashSet();
                    evaluated = Enumerable.Range(0, all.Count).Where(i => !held.Contains(i)).ToArray();
                    log?.Invoke($"calibration: {calibrationPick.Length:N0} images sampled (seed {calibrationSeed:X}) from {all.Name} and held out; the other {evaluated.Length:N0} are evaluated" +
                        " (one-split data; --calibration-data or --train-data, or --images, to choose)");
                }
            }
            IImageSource evalSource = all;
            if (evaluated != null)
                evalSource = job.Own(new SubsetSource(all, evaluated, settings.Images is { } k && k < all.Count
                    ? settings.SubsetSeed is { } sd ? $"{all.Name}, {k:N0} images (seed {sd})" : $"{all.Name}, first {k:N0} images"
                    : $"{all.Name}, {evaluated.Length:N0} images not held out for calibration"));
            if (eval)
                job.Eval = Build(evalSource, "evaluated");
            IImageSource? trainSource = null;
            if (settings.TrainData is { } trainSpec)
            {
                var t = job.Own(DataSource.Open(trainSpec, settings.Open, log));
                trainSource = t.Train ?? t.Eval;
                log?.Invoke($"training data: {t.Describe()}{(t.Train != null ? " (its training split)" : "")}");
            }
            else
            {
                trainSource = main.Train;
            }
            if (train)
            {
                if (trainSource == null)
                    throw new RistrettoException($"--data {settings.Data} has one split; give the training images with --train-data");
                job.Train = Build(trainSource, "training");
            }
            if (calibration)
            {
                IImageSource calibrationSource;
                if (settings.CalibrationData is { } calSpec)
                {
                    var c = job.Own(DataSource.Open(calSpec, settings.Open, log));
                    calibrationSource = c.Train ?? c.Eval;
                }
                else if (trainSource != null)
                {
                    calibrationSource = trainSource;
                }
                else
                {
                    calibrationSource = job.Own(new SubsetSource(all, calibrationPick!, $"{all.Name}, {calibrationPick!.Length:N0} calibration images"));
                }
                if (calibrationSource.Count > settings.CalibrationImages && calibrationSource is not SubsetSource)
                {
                    // IDX and CIFAR training sets are shuffled already (the first N, as Ristretto measured); image folders and
                    // lists are usually in class order, so a seeded sample spans the classes.
                    bool shuffled = calibrationSource.Kind is "idx" or "cifar-10" or "cifar-100";
                    var picked = shuffled ? Enumerable.Range(0, settings.CalibrationImages).ToArray()
                        : Sample(calibrationSource.Count, settings.CalibrationImages, calibrationSeed, new HashSet<int>());
                    calibrationSource = job.Own(new SubsetSource(calibrationSource, picked, shuffled
                        ? $"{calibrationSource.Name}, first {settings.CalibrationImages:N0} images"
                        : $"{calibrationSource.Name}, {settings.CalibrationImages:N0} images sampled (seed {calibrationSeed:X})"));
                }
                job.Calibration = Build(calibrationSource, "calibration");
            }
            return job;
        }
        catch
        {
            job.Dispose();
            throw;
        }
    }

    /// <summary><paramref name="count"/> distinct indices in [0, <paramref name="total"/>) not in <paramref name="exclude"/>, drawn by a seeded shuffle, sorted.</summary>
    public static int[] Sample(int total, int count, ulong seed, IReadOnlySet<int> exclude)
    {
        var pool = Enumerable.Range(0, total).Where(i => !exclude.Contains(i)).ToArray();
        var rng = new SplitMix64(seed);
        int take = Math.Min(count, pool.Length);
        for (int i = 0; i < take; i++)
        {
            int j = i + rng.NextInt(pool.Length - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        var picked = pool[..take];
        Array.Sort(picked);
        return picked;
    }

    private T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
            _owned[i].Dispose();
        _owned.Clear();
    }
}
