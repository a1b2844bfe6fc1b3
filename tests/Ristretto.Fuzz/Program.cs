using Ristretto;
using Ristretto.Fuzz;

// ristretto-fuzz TARGET                      under afl-fuzz: the persistent loop (input on stdin); else one input from stdin
// ristretto-fuzz TARGET --replay PATH...     each file (or every file in each folder) once: "ok", "error: …" or "FINDING …"
// ristretto-fuzz TARGET --seeds DIR          writes the generated seed inputs (tests/fuzz/run-campaign.sh adds the fixtures)
// Under afl-fuzz nothing instrumented may run before Fuzzer.Run points the trace map at AFL's shared memory (SharpFuzz's
// map starts null; even a module initializer of an instrumented assembly would write through it), so the fuzzing loop
// starts first and touches Ristretto only inside the action. --replay and --seeds run on the uninstrumented build.
if (args.Length == 1 && Environment.GetEnvironmentVariable("__AFL_SHM_ID") is not null)
{
    string fuzzed = args[0];
    SharpFuzz.Fuzzer.Run(stream =>
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        try
        {
            FuzzTargets.Execute(fuzzed, memory.ToArray());
        }
        catch (RistrettoException)
        {
            // Bad input refused in one line: the expected outcome.
        }
    });
    return 0;
}
if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: Ristretto.Fuzz TARGET [--replay PATH... | --seeds DIR]; targets: {string.Join(", ", FuzzTargets.Names)}");
    return 2;
}
string target = args[0];
if (args.Length >= 2 && args[1] == "--seeds")
{
    Directory.CreateDirectory(args[2]);
    int n = 0;
    foreach (var (name, bytes) in Seeds.For(target))
    {
        File.WriteAllBytes(Path.Combine(args[2], name), bytes);
        n++;
    }
    Console.WriteLine($"{target}: {n} generated seeds in {args[2]}");
    return 0;
}
if (args.Length >= 2 && args[1] == "--replay")
{
    var files = args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal).ToArray() : new[] { p });
    int findings = 0;
    foreach (string file in files)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string outcome;
        try
        {
            FuzzTargets.Execute(target, File.ReadAllBytes(file));
            outcome = "ok";
        }
        catch (RistrettoException e)
        {
            outcome = $"error: {e.Message}";
        }
        catch (Exception e)
        {
            findings++;
            outcome = $"FINDING {e.GetType().FullName}: {e.Message.Split('\n')[0]}\n{e.StackTrace}";
        }
        Console.WriteLine($"{file} ({clock.Elapsed.TotalMilliseconds:F2} ms): {outcome}");
    }
    return findings == 0 ? 0 : 1;
}
// Not under afl-fuzz: one input from standard input, as afl-fuzz would give it.
using (var stdin = Console.OpenStandardInput())
using (var memory = new MemoryStream())
{
    stdin.CopyTo(memory);
    FuzzTargets.Execute(target, memory.ToArray());
}
return 0;
