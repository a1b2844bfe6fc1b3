using System.Collections.Concurrent;
using Ristretto.Data.Images;
using Ristretto.Data.Sources;
using static TorchSharp.torch;

namespace Ristretto.Data;

/// <summary>How a <see cref="StreamingImageSet"/> reads.</summary>
public sealed record StreamingOptions
{
    /// <summary>Threads that decode and transform images (default: the machine's cores).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Batches read ahead of the one asked for (a bounded queue: at most this many wait decoded), or null for the
    /// default: 2 when the network runs on a GPU (decoding then uses cores the model leaves idle), 0 on the CPU, where
    /// decoding beside the model only takes cores from libtorch's threads (measured by the data-pipeline bench: end to
    /// end 0.90 of the sequential target with read-ahead, see docs/data.md).
    /// </summary>
    public int? Prefetch { get; init; }

    /// <summary>
    /// Bytes of evaluated (un-augmented) batches kept after their first read, so the hundreds of passes of a search decode
    /// each image once; batches past the budget are decoded again each time.
    /// </summary>
    public long CacheBytes { get; init; } = 1L << 30;

    /// <summary>Seed of the training augmentation (random crops, mirrors).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Turn an unreadable image into a warning (the image is left out of its batch) instead of an error.</summary>
    public bool SkipBadImages { get; init; }

    /// <summary>Called once per image left out by <see cref="SkipBadImages"/>, with the reason.</summary>
    public Action<string>? Warn { get; init; }
}

/// <summary>
/// An <see cref="IImageSource"/> read as batches: each image is decoded and transformed (<see cref="Preprocessing"/>) on
/// worker threads when its batch is asked for, the next batches are read ahead while the caller computes, and evaluated
/// batches are kept up to <see cref="StreamingOptions.CacheBytes"/>. Nothing else of the set is held in memory.
/// </summary>
public sealed class StreamingImageSet : ImageDataset
{
    private readonly IImageSource _source;
    private readonly Preprocessing _preprocessing;
    private readonly MeanImage? _mean;
    private readonly StreamingOptions _options;
    private readonly Device _device;
    private readonly int _channels, _height, _width;
    private readonly bool _ownsSource;
    private readonly Dictionary<(int Start, int Count), (Tensor Images, Tensor Labels)> _cache = [];
    private readonly ConcurrentDictionary<string, Task<(Tensor Images, Tensor Labels)>> _pending = new();
    private readonly SemaphoreSlim _decoders;
    private readonly ConcurrentBag<Task> _evicted = [];
    private readonly int _prefetch;
    private long _cachedBytes;
    private int _skipped;

    /// <summary>
    /// Reads <paramref name="source"/> as images of <paramref name="shape"/> (channels, height, width: what the network's
    /// first layer takes) on <paramref name="device"/>. The set disposes the source when <paramref name="ownsSource"/>.
    /// </summary>
    public StreamingImageSet(IImageSource source, Preprocessing preprocessing, long[] shape, Device device, StreamingOptions? options = null,
        MeanImage? mean = null, bool ownsSource = true)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length != 3 || shape[0] is not (1 or 3) || shape[1] < 1 || shape[2] < 1)
            throw new RistrettoException($"{source.Name}: the network takes images of [{string.Join("×", shape)}]; image data feeds 1 or 3 channels × height × width");
        _source = source;
        _preprocessing = (preprocessing ?? throw new ArgumentNullException(nameof(preprocessing))).Validate((int)shape[0]);
        _options = options ?? new StreamingOptions();
        if (_options.Workers < 1 || _options.Prefetch is < 0 || _options.CacheBytes < 0)
            throw new RistrettoException("streaming needs ≥ 1 worker, a prefetch ≥ 0 and a cache ≥ 0 bytes");
        _mean = mean;
        _device = device;
        (_channels, _height, _width) = ((int)shape[0], (int)shape[1], (int)shape[2]);
        _ownsSource = ownsSource;
        _decoders = new SemaphoreSlim(_options.Workers);
        _prefetch = _options.Prefetch ?? (device.type == TorchSharp.DeviceType.CPU ? 0 : 2);
    }

    /// <summary>The images read.</summary>
    public IImageSource Source => _source;

    /// <summary>What is done to each image.</summary>
    public Preprocessing Preprocessing => _preprocessing;

    /// <summary>Batches read ahead (<see cref="StreamingOptions.Prefetch"/>, resolved for the device).</summary>
    public int ReadAhead => _prefetch;

    /// <summary>Images left out so far because they could not be read (with <see cref="StreamingOptions.SkipBadImages"/>).</summary>
    public int Skipped => Volatile.Read(ref _skipped);

    /// <inheritdoc />
    public override string Name => _source.Name;

    /// <inheritdoc />
    public override int Count => _source.Count;

    /// <inheritdoc />
    public override long[] SampleShape => [_channels, _height, _width];

    /// <inheritdoc />
    public override Device Device => _device;

    /// <inheritdoc />
    public override bool Labelled => _source.Labelled;

    /// <inheritdoc />
    public override int Classes => _source.Classes;

    /// <inheritdoc />
    public override (Tensor Images, Tensor Labels) Slice(int start, int count)
    {
        if (start < 0 || count < 1 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"images [{start}, {start + count}) of {Count}");
        (Tensor Images, Tensor Labels) batch;
        bool cached;
        lock (_cache)
            cached = _cache.TryGetValue((start, count), out batch);
        if (!cached)
        {
            batch = Take(SliceKey(start, count), () => Range(start, count), -1);
            lock (_cache)
            {
                long bytes = batch.Images.NumberOfElements * sizeof(float) + batch.Labels.NumberOfElements * sizeof(long);
                if (_cachedBytes + bytes <= _options.CacheBytes && _cache.TryAdd((start, count), batch))
                {
                    _cachedBytes += bytes;
                    cached = true;
                }
            }
        }
        // Read the next batches while the caller computes on this one; read-aheads outside that window are dropped.
        var window = new List<(string Key, int Start, int Count)>();
        for (int k = 1; k <= _prefetch; k++)
        {
            int next = start + k * count;
            if (next >= Count)
                break;
            int n = Math.Min(count, Count - next);
            bool known;
            lock (_cache)
                known = _cache.ContainsKey((next, n));
            if (!known)
                window.Add((SliceKey(next, n), next, n));
        }
        Evict('s', window.Select(w => w.Key).ToHashSet());
        foreach (var (key, next, n) in window)
            Start(key, Range(next, n), -1);
        var result = (batch.Images.narrow(0, 0, batch.Images.shape[0]), batch.Labels.narrow(0, 0, batch.Labels.shape[0]));
        if (!cached)
        {
            batch.Images.Dispose();
            batch.Labels.Dispose();
        }
        return result;
    }

    /// <inheritdoc />
    public override (Tensor Images, Tensor Labels) Gather(long[] indices, long draw = -1)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var batch = Take(GatherKey(indices, draw), () => indices, draw);
        var result = (batch.Images.narrow(0, 0, batch.Images.shape[0]), batch.Labels.narrow(0, 0, batch.Labels.shape[0]));
        batch.Images.Dispose();
        batch.Labels.Dispose();
        return result;
    }

    /// <inheritdoc />
    public override void Prefetch(long[] indices, long draw = -1)
    {
        ArgumentNullException.ThrowIfNull(indices);
        string key = GatherKey(indices, draw);
        Evict('g', [key]);
        Start(key, indices, draw);
    }

    /// <summary>Drops read-aheads of kind <paramref name="kind"/> that are not in <paramref name="keep"/>; their batches are freed when done.</summary>
    private void Evict(char kind, HashSet<string> keep)
    {
        foreach (string key in _pending.Keys)
        {
            if (key[0] != kind || keep.Contains(key) || !_pending.TryRemove(key, out var task))
                continue;
            _evicted.Add(task);
            task.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    t.Result.Images.Dispose();
                    t.Result.Labels.Dispose();
                }
            }, TaskScheduler.Default);
        }
    }

    private static string SliceKey(int start, int count) => $"s{start}:{count}";

    private static string GatherKey(long[] indices, long draw)
    {
        var hash = new HashCode();
        foreach (long i in indices)
            hash.Add(i);
        return $"g{draw}:{indices.Length}:{hash.ToHashCode()}:{(indices.Length > 0 ? indices[0] : -1)}";
    }

    private static long[] Range(int start, int count) => Enumerable.Range(start, count).Select(i => (long)i).ToArray();

    private void Start(string key, long[] indices, long draw)
    {
        if (_prefetch == 0)
            return;
        _pending.GetOrAdd(key, _ => Task.Run(() => Read(indices, draw)));
    }

    private (Tensor Images, Tensor Labels) Take(string key, Func<long[]> indices, long draw)
    {
        if (_pending.TryRemove(key, out var task))
            return task.GetAwaiter().GetResult(); // rethrows a read-ahead's RistrettoException as it was
        return Read(indices(), draw);
    }

    /// <summary>Decodes and transforms the images into one batch on the set's device.</summary>
    private (Tensor Images, Tensor Labels) Read(long[] indices, long draw)
    {
        int size = _channels * _height * _width;
        var pixels = new float[indices.Length * size];
        var labels = new long[indices.Length];
        var good = new bool[indices.Length];
        var failure = new RistrettoException?[indices.Length];
        Parallel.For(0, indices.Length, new ParallelOptions { MaxDegreeOfParallelism = _options.Workers }, i =>
        {
            int index = checked((int)indices[i]);
            // Batches read ahead decode at the same time; together they use at most Workers threads.
            _decoders.Wait();
            try
            {
                var image = _source.Read(index, _channels);
                ulong? seed = draw >= 0 ? _options.Seed * 0x9E3779B97F4A7C15UL ^ ((ulong)draw << 20) ^ (ulong)i * 0xBF58476D1CE4E5B9UL : null;
                _preprocessing.Apply(image, pixels.AsSpan(i * size, size), _height, _width, _source.Describe(index), seed, _mean);
                labels[i] = _source.Label(index);
                good[i] = true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // OpenCV, LMDB or I/O failures are a bad image too: one line naming it (or a warning with --skip-bad-images).
                failure[i] = e as RistrettoException ?? new RistrettoException($"{_source.Describe(index)}: {e.Message}", e);
            }
            finally
            {
                _decoders.Release();
            }
        });
        int bad = Array.IndexOf(good, false);
        if (bad >= 0)
        {
            if (!_options.SkipBadImages)
                throw failure[bad]!;
            var keep = Enumerable.Range(0, indices.Length).Where(i => good[i]).ToArray();
            foreach (var e in failure.OfType<RistrettoException>())
            {
                Interlocked.Increment(ref _skipped);
                _options.Warn?.Invoke(e.Message);
            }
            var packed = new float[keep.Length * size];
            for (int j = 0; j < keep.Length; j++)
                pixels.AsSpan(keep[j] * size, size).CopyTo(packed.AsSpan(j * size));
            pixels = packed;
            labels = keep.Select(i => labels[i]).ToArray();
            if (keep.Length == 0)
                throw new RistrettoException($"{_source.Name}: every image of a batch was unreadable (first: {failure[bad]!.Message})");
        }
        using var scope = NewDisposeScope();
        var images = tensor(pixels, [labels.Length, _channels, _height, _width]).to(_device);
        var y = tensor(labels, [labels.Length]).to(_device);
        return (images.DetachFromDisposeScope(), y.DetachFromDisposeScope());
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        foreach (var task in _pending.Values)
        {
            try
            {
                var (x, y) = task.GetAwaiter().GetResult();
                x.Dispose();
                y.Dispose();
            }
            catch (Exception)
            {
                // A read-ahead nobody asked for failed; the set is going away.
            }
        }
        // Read-aheads dropped earlier may still be decoding: the source and the decoders must outlive them.
        try
        {
            Task.WaitAll([.. _evicted]);
        }
        catch (AggregateException)
        {
        }
        _pending.Clear();
        foreach (var (x, y) in _cache.Values)
        {
            x.Dispose();
            y.Dispose();
        }
        _cache.Clear();
        if (_ownsSource)
            _source.Dispose();
        _decoders.Dispose();
    }
}
