using System.Reflection;
using Ristretto;
using Ristretto.Bench;

// Usage: dotnet run -c Release --project bench/Ristretto.Bench -- [NAME ...] [--quick] [--tries] [--device cpu|cuda|auto]
// With no name, every benchmark runs. Each prints its measurements and ratios measured in the same run.
if (args.Length >= 3 && args[0] == PeakMemoryBenchmark.ChildFlag)
    return PeakMemoryBenchmark.RunChild(args[1], args[2]);
if (args.Length >= 4 && args[0] == ConvFloorBenchmark.ChildFlag)
    return ConvFloorBenchmark.RunChild(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
var benchmarks = typeof(IBenchmark).Assembly.GetTypes()
    .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Name, StringComparer.Ordinal)
    .ToList();

bool quick = args.Contains("--quick");
bool tries = args.Contains("--tries");
string device = "cpu";
int deviceAt = Array.IndexOf(args, "--device");
if (deviceAt >= 0 && deviceAt + 1 < args.Length)
    device = args[deviceAt + 1];
var names = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (deviceAt < 0 || i != deviceAt + 1)).ToList();

if (names.Contains("list"))
{
    foreach (var b in benchmarks)
        Console.WriteLine($"{b.Name,-20} {b.Description}");
    return 0;
}
var unknown = names.Where(n => benchmarks.All(b => b.Name != n)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"error: unknown benchmark '{unknown[0]}'; known: {string.Join(", ", benchmarks.Select(b => b.Name))}");
    return 2;
}
try
{
    foreach (var b in benchmarks.Where(b => names.Count == 0 || names.Contains(b.Name)))
    {
        Console.WriteLine($"== {b.Name}: {b.Description}");
        b.Run(new BenchOptions(quick, device, tries));
        Console.WriteLine();
    }
    return 0;
}
catch (RistrettoException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
