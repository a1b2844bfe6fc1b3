using Ristretto.Data.Sources;

namespace Ristretto.Data;

/// <summary>What a data source holds: kind, splits, counts, classes, and image sizes and channels seen on a sample.</summary>
public sealed record DataSummary(string Spec, string Kind, IReadOnlyList<SplitSummary> Splits)
{
    /// <summary>Summarises <paramref name="source"/>, decoding the first <paramref name="sample"/> images of each split.</summary>
    public static DataSummary Of(DataSource source, int sample = 32)
    {
        ArgumentNullException.ThrowIfNull(source);
        var splits = new List<SplitSummary>();
        if (source.Train is { } train)
            splits.Add(SplitSummary.Of("train", train, sample));
        splits.Add(SplitSummary.Of(source.Train is null ? "all" : "evaluated", source.Eval, sample));
        return new DataSummary(source.Spec, source.Kind, splits);
    }

    /// <summary>Lines for the terminal.</summary>
    public IEnumerable<string> Lines()
    {
        yield return $"{Spec}: {Kind}";
        foreach (var s in Splits)
        {
            string sizes = s.MinHeight == s.MaxHeight && s.MinWidth == s.MaxWidth ? $"{s.MinHeight}×{s.MinWidth}" : $"{s.MinHeight}–{s.MaxHeight} × {s.MinWidth}–{s.MaxWidth}";
            string classes = s.Labelled ? $"{s.Classes} classes{(s.ClassNames.Count > 0 ? $" ({string.Join(", ", s.ClassNames.Take(5))}{(s.ClassNames.Count > 5 ? ", …" : "")})" : "")}" : "unlabelled";
            yield return $"  {s.Split}: {s.Count:N0} images, {classes}, {sizes} pixels, {string.Join("/", s.Channels)} channel(s) (first {s.Sampled} images)";
        }
    }
}

/// <summary>One split of a <see cref="DataSummary"/>.</summary>
public sealed record SplitSummary(string Split, string Name, int Count, bool Labelled, int Classes, IReadOnlyList<string> ClassNames,
    int Sampled, int MinHeight, int MaxHeight, int MinWidth, int MaxWidth, IReadOnlyList<int> Channels)
{
    /// <summary>Counts and a decoded sample of <paramref name="source"/>.</summary>
    public static SplitSummary Of(string split, IImageSource source, int sample)
    {
        ArgumentNullException.ThrowIfNull(source);
        int n = Math.Min(sample, source.Count);
        int minH = int.MaxValue, maxH = 0, minW = int.MaxValue, maxW = 0;
        var channels = new SortedSet<int>();
        for (int i = 0; i < n; i++)
        {
            int stored = source.StoredChannels;
            var image = source.Read(i, stored is 1 or 3 ? stored : 3);
            (minH, maxH, minW, maxW) = (Math.Min(minH, image.Height), Math.Max(maxH, image.Height), Math.Min(minW, image.Width), Math.Max(maxW, image.Width));
            if (stored is 1 or 3)
                channels.Add(stored);
            else
                channels.Add(image.Channels);
        }
        return new SplitSummary(split, source.Name, source.Count, source.Labelled, source.Classes, source.ClassNames, n, minH, maxH, minW, maxW, [.. channels]);
    }
}
