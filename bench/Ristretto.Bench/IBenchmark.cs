namespace Ristretto.Bench;

/// <summary>
/// One benchmark: it measures two or more variants in the same run and prints each figure and their ratio.
/// Every non-abstract implementation in this assembly is found by <see cref="Program"/>.
/// </summary>
internal interface IBenchmark
{
    /// <summary>Short name used on the command line (e.g. "lenet-eval").</summary>
    string Name { get; }

    /// <summary>One line saying what is measured.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark and writes its report to standard output.</summary>
    void Run(BenchOptions options);
}

/// <summary>Options shared by every benchmark.</summary>
/// <param name="Quick">Fewer repetitions, for a smoke run.</param>
/// <param name="Device">Torch device name (cpu, cuda, cuda:N, auto).</param>
/// <param name="Tries">Also time the alternatives that were tried (older paths, layouts), in the same rounds.</param>
internal sealed record BenchOptions(bool Quick, string Device, bool Tries = false);
