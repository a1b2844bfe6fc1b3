using System.Reflection.Metadata;
using Ristretto.Tests.Support;
using TorchSharp;

namespace Ristretto.Tests.Engine;

/// <summary>
/// TorchSharp 0.107 frees a <see cref="Scalar"/> in its finalizer and does not keep it alive across the native
/// call it is passed to: once the call has read the handle, a garbage collection on another thread can free the
/// scalar while libtorch still reads it (seen as "Expected false to be true" from c10::Scalar::toFloat, or as a
/// silently wrong value). The same holds for the scalars TorchSharp makes inside methods such as
/// <c>Tensor.add(Tensor)</c> (its alpha of 1) or <c>tensor * 0.5</c>. Our code therefore holds every scalar it
/// passes in a local or a static field (<see cref="Ristretto.Engine.Scalars"/>) and calls no TorchSharp method
/// that makes a temporary one. This test reads the IL of our assemblies and of TorchSharp and fails on either.
/// </summary>
public sealed class ScalarLifetimeTests
{
    private static readonly HashSet<ILOpCode> Stores =
    [
        ILOpCode.Stloc, ILOpCode.Stloc_s, ILOpCode.Stloc_0, ILOpCode.Stloc_1, ILOpCode.Stloc_2, ILOpCode.Stloc_3,
        ILOpCode.Stsfld, ILOpCode.Stfld,
    ];

    private static bool MakesScalar(string callee) =>
        callee.StartsWith("TorchSharp.Scalar::op_Implicit(", StringComparison.Ordinal)
        || callee.StartsWith("TorchSharp.ScalarExtensionMethods::To", StringComparison.Ordinal);

    /// <summary>TorchSharp methods that make a scalar without storing it, and every TorchSharp method that calls one.</summary>
    private static HashSet<string> TorchMethodsWithTemporaryScalars()
    {
        using var scanner = new IlCallScanner(typeof(torch).Assembly.Location);
        var calls = scanner.Calls().ToList();
        var risky = calls.Where(c => MakesScalar(c.Callee) && !Stores.Contains(c.Next) && !MakesScalar(c.Caller))
            .Select(c => c.Caller).ToHashSet();
        var callers = calls.ToLookup(c => c.Callee, c => c.Caller);
        var queue = new Queue<string>(risky);
        while (queue.TryDequeue(out var method))
            foreach (var caller in callers[method])
                if (!MakesScalar(caller) && risky.Add(caller))
                    queue.Enqueue(caller);
        return risky;
    }

    [Fact]
    public void Should_Hold_Every_Scalar_Passed_To_TorchSharp()
    {
        var risky = TorchMethodsWithTemporaryScalars();
        Assert.Contains("TorchSharp.torch/Tensor::add(TorchSharp.torch/Tensor)", risky);
        var assemblies = new[] { typeof(Ristretto.Engine.TorchRuntime).Assembly, typeof(Ristretto.Cli.Program).Assembly, typeof(ScalarLifetimeTests).Assembly };
        var problems = new List<string>();
        foreach (var assembly in assemblies)
        {
            using var scanner = new IlCallScanner(assembly.Location);
            foreach (var call in scanner.Calls())
            {
                if (MakesScalar(call.Callee) ? !Stores.Contains(call.Next) : risky.Contains(call.Callee))
                    problems.Add($"{call.Caller} calls {call.Callee}");
            }
        }
        Assert.True(problems.Count == 0, $"{problems.Count} calls pass TorchSharp a scalar nothing holds:\n" + string.Join("\n", problems.Distinct().Order()));
    }
}
