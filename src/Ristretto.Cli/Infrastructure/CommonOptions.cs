using System.CommandLine;
using Ristretto.Engine;

namespace Ristretto.Cli.Infrastructure;

/// <summary>Options that several verbs share, built fresh per command.</summary>
public static class CommonOptions
{
    /// <summary><c>--device cpu|cuda|cuda:N|auto</c>.</summary>
    public static Option<string> Device() => new("--device")
    {
        Description = $"Where tensors live: {DeviceSelector.Accepted} (auto: CUDA when available).",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary><c>--data mnist|DIR</c>.</summary>
    public static Option<string> Data() => new("--data")
    {
        Description = "Evaluated data: 'mnist' (fetched into the cache on first use), a folder of MNIST-named IDX files, a CIFAR-10/100 binary folder, an image folder (train/ and val/ of class folders, class folders, or flat), a Caffe LMDB folder, or an ImageData list file (path label per line). See docs/data.md.",
        DefaultValueFactory = _ => "mnist",
    };

    /// <summary><c>--weights PATH</c>: a .caffemodel for a Caffe prototxt model.</summary>
    public static Option<string?> Weights() => new("--weights")
    {
        Description = "Trained weights (.caffemodel) for a Caffe prototxt --model.",
    };

    /// <summary><c>--json PATH</c>.</summary>
    public static Option<string?> Json() => new("--json")
    {
        Description = "Also write the results as JSON to this file.",
    };

    /// <summary>A positive integer option.</summary>
    public static Option<int> PositiveInt(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
                r.AddError($"{name} must be ≥ 1, got {r.GetValueOrDefault<int>()}");
        });
        return option;
    }
}
