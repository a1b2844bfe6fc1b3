using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Ristretto.Engine;
using Ristretto.Jobs;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Layers;
using Ristretto.Models;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// Prototype (issue 14, session 6): can TorchScript (<c>torch.jit.compile</c> and <c>CompilationUnit.invoke</c>, the one
/// door TorchSharp 0.107 has to libtorch ops it does not wrap) make our evaluation faster than the oneDNN-through-ATen
/// path? The BN-folded evaluation network is written out as one TorchScript function, in two layouts: (a) channels-last
/// dense activations through ATen's <c>mkldnn_convolution</c> (no conversion of outputs back to NCHW; weights still
/// re-laid out on each call) and (b) blocked oneDNN activations end to end (<c>to_mkldnn</c>, weights prepacked once
/// by <c>mkldnn_reorder_conv2d_weight</c>, oneDNN's ReLU and pooling), and (c) "fused": a module loaded from a
/// hand-written archive (<see cref="ScriptArchive"/>), whose importer, unlike <c>torch.jit.compile</c>, resolves
/// <c>ops.mkldnn.*</c>: channels-last activations, weights prepacked by <c>_reorder_convolution_weight</c>, and
/// convolution + bias + ReLU (+ the shortcut add) in one <c>_convolution_pointwise</c>, as PyTorch Inductor's CPU path
/// runs them. Each runs on the whole batch and in slices; all are timed against our path (<see cref="EvaluationNetwork.Forward"/>, and the same in the scripts' slices) and ONNX
/// Runtime in interleaved rounds, with outputs checked against ours, and the cost of one <c>invoke</c> is measured.
/// What the scripts cannot reach and which oneDNN defects they work around is in docs/performance.md ("TorchScript").
/// Environment: <c>RISTRETTO_JIT_CASES</c> (e.g. <c>lenet:64,resnet18:32</c>), <c>RISTRETTO_JIT_SLICE</c> (images per
/// slice), <c>RISTRETTO_JIT_CLINPUT=1</c> (only compares our path on a channels-last-strided batch with the NCHW one),
/// <c>RISTRETTO_JIT_DUMP</c> (a folder: the scripts are written there), <c>RISTRETTO_JIT_JUNK=1</c> (libc10's junk
/// fill: reads of unwritten memory give NaN), and, to reproduce the defects,
/// <c>RISTRETTO_JIT_ADD=mkldnn</c> (oneDNN's add on blocked tensors: SIGFPE) and <c>RISTRETTO_JIT_1X1=mkldnn</c>
/// (oneDNN's 1×1 convolutions in the blocked layout: wrong outputs on ResNet-18).
/// </summary>
internal sealed class JitConvBenchmark : IBenchmark
{
    public string Name => "jit-conv";

    public string Description => "prototype: the eval network as TorchScript over mkldnn ops (channels-last; blocked, prepacked; fused conv+ReLU+add, prepacked) vs our eval path vs ONNX Runtime";

    public void Run(BenchOptions options)
    {
        int threads = get_num_threads();
        int rounds = options.Quick ? 5 : 7;
        double slot = options.Quick ? 0.2 : 0.4;
        Console.WriteLine($"{threads} intra-op threads; oneDNN {OneDnn.Use}; {rounds} interleaved rounds of ≈{slot} s per variant; load {File.ReadAllText("/proc/loadavg").Trim()}");
        InvokeOverhead();
        // RISTRETTO_JIT_JUNK=1: libc10 fills new buffers with a NaN pattern, so a kernel that reads memory nobody
        // wrote (oneDNN's partial channel blocks) gives NaN instead of a silent error.
        if (Environment.GetEnvironmentVariable("RISTRETTO_JIT_JUNK") == "1" && !LibTorchContext.TrySetAllocatorJunkFill(true))
            throw new RistrettoException("libc10 does not export its junk-fill flag");
        if (Environment.GetEnvironmentVariable("RISTRETTO_JIT_PROBE") == "1")
        {
            Probe();
            return;
        }
        Console.WriteLine("ratios over ours (EvaluationNetwork.Forward), median [min–max] of per-round ratios; max |Δ| over ours relative to ours' largest output");
        Console.WriteLine($"{"network",-10} {"batch/slice",-11} {"ours img/s",11} {"jit channels-last",22} {"jit cl, sliced",22} {"jit blocked",22} {"jit blocked, sliced",22} {"ours in jit's slices",22} {"jit fused",22} {"jit fused, sliced",22} {"fused per layer, sliced",24} {"ONNX Runtime",22}   max rel |Δ| cl / cl sliced / blocked / blocked sliced / fused / fused sliced / per layer / ORT");
        // RISTRETTO_JIT_CASES=lenet:64,resnet18:32 picks cases (default: LeNet 64 and 1000, ResNet-18 32).
        var cases = (Environment.GetEnvironmentVariable("RISTRETTO_JIT_CASES") ?? "lenet:64,lenet:1000,resnet18:32")
            .Split(',').Select(c => c.Split(':')).GroupBy(c => c[0]).Select(g => (g.Key, g.Select(c => int.Parse(c[1], CultureInfo.InvariantCulture)).ToArray()));
        foreach (var (name, batches) in cases)
        {
            using var net = Load(name);
            net.eval();
            using var prepared = EvaluationNetwork.Prepare(net);
            foreach (int batch in batches)
                Measure(name, prepared, batch, threads, rounds, slot);
        }
        Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static Network Load(string name)
    {
        if (name == LeNet.ArchitectureName && File.Exists(DefaultModels.LeNetMnistPath))
            return (Network)ModelStore.Load(DefaultModels.LeNetMnistPath, CPU).Model;
        return ModelZoo.Create(name, seed: 7);
    }

    private static void Probe()
    {
        var module = ScriptArchive.Load(
            "  def pack(self, w: Tensor) -> Tensor:\n" +
            "    return ops.mkldnn._reorder_convolution_weight(w, [1, 1], [1, 1], [1, 1], 1, [4, 32, 12, 12])\n" +
            "  def forward(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:\n" +
            "    scalars = annotate(List[Optional[number]], [])\n" +
            "    return ops.mkldnn._convolution_pointwise(x, w, b, [1, 1], [1, 1], [1, 1], 1, \"relu\", scalars, None)\n");
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = randn(4, 32, 12, 12);
        var w = randn(48, 32, 3, 3);
        var b = randn(48);
        var packed = (Tensor)module.invoke("pack", w);
        var y = (Tensor)module.invoke("forward", x, packed, b);
        var want = nn.functional.relu(nn.functional.conv2d(x, w, b, padding: [1, 1]));
        Console.WriteLine($"probe: packed {string.Join("x", packed.shape)}; y {string.Join("x", y.shape)} max |Δ| {(y.contiguous() - want).abs().max().item<float>()} of {want.abs().max().item<float>()}");
    }

    /// <summary>Time of one <c>invoke</c> of a function that returns its tensor argument.</summary>
    private static void InvokeOverhead()
    {
        var unit = jit.compile("def ident(x):\n    return x\n");
        using var x = zeros(1);
        for (int i = 0; i < 1000; i++)
            ((Tensor)unit.invoke("ident", x)).Dispose();
        const int n = 20_000;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
            ((Tensor)unit.invoke("ident", x)).Dispose();
        double invoke = watch.Elapsed.TotalMicroseconds / n;
        watch.Restart();
        for (int i = 0; i < n; i++)
            x.alias().Dispose();
        double alias = watch.Elapsed.TotalMicroseconds / n;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CompilationUnit.invoke of an identity function: {invoke:F1} µs per call (a TorchSharp alias(): {alias:F2} µs)"));
    }

    /// <summary>Our pass over <paramref name="x"/> in slices of exactly <paramref name="images"/> images.</summary>
    internal static Tensor InSlices(Network net, Tensor x, long images, IReadOnlyDictionary<string, Layer>? substitutes = null) =>
        SlicedRun.ForwardFrom(net, 0, new Dictionary<string, Tensor>(StringComparer.Ordinal) { [net.Inputs[0].Name] = x }, images, substitutes);

    private static void Measure(string name, EvaluationNetwork prepared, int batch, int threads, int rounds, double slot)
    {
        var net = prepared.Network;
        var (input, shape) = EvalVsOrtBenchmark.RandomBatch(net, batch, name);
        var sample = shape[1..];
        long perImage = sample.Aggregate(1L, (a, b) => a * b);
        using var x = tensor(input, shape);
        long perSlice = SlicedRun.ImagesPerSlice(net, x, SlicedRun.DefaultSliceBytes);
        if (Environment.GetEnvironmentVariable("RISTRETTO_JIT_SLICE") is { Length: > 0 } sliceText)
            perSlice = Math.Min(batch, long.Parse(sliceText, CultureInfo.InvariantCulture));
        if (Environment.GetEnvironmentVariable("RISTRETTO_JIT_CLINPUT") == "1")
        {
            // Our path fed a channels-last-strided copy of the same batch (ATen keeps that layout through its oneDNN
            // convolutions; its 1×1 stride-2 kernel is wrong on channels-last inputs).
            using var scope = NewDisposeScope();
            var nhwc = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            var a = prepared.Forward(x).contiguous().data<float>().ToArray();
            var b = prepared.Forward(nhwc).contiguous().data<float>().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} batch {batch}: channels-last input vs NCHW input, max rel |Δ| {a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) / a.Max(Math.Abs):G2}"));
            return;
        }
        using var cl = new ScriptedNetwork(net, ScriptedNetwork.Layout.ChannelsLast, shape);
        using var clSliced = new ScriptedNetwork(net, ScriptedNetwork.Layout.ChannelsLast, [perSlice, .. sample]);
        using var blocked = new ScriptedNetwork(net, ScriptedNetwork.Layout.Blocked, shape);
        using var blockedSliced = new ScriptedNetwork(net, ScriptedNetwork.Layout.Blocked, [perSlice, .. sample]);
        using var fusedWhole = new ScriptedNetwork(net, ScriptedNetwork.Layout.Fused, shape);
        using var fusedSliced = new ScriptedNetwork(net, ScriptedNetwork.Layout.Fused, [perSlice, .. sample]);
        using var perLayer = new FusedLayers(net, [perSlice, .. sample]);

        using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(OnnxExporter.Export(prepared.Source), sessionOptions);
        var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), new DenseTensor(input, shape.Select(d => (int)d).ToArray())) };

        float[] ours = [], ort = [], jitCl = [], jitClSliced = [], jitBlocked = [], jitBlockedSliced = [], jitFused = [], jitFusedSliced = [], fusedPerLayer = [];
        void Ours()
        {
            using var scope = NewDisposeScope();
            ours = prepared.Forward(x).data<float>().ToArray();
        }
        float[] oursSliced = [];
        void OursSliced()
        {
            using var mode = inference_mode();
            using var onednn = OneDnn.Evaluation();
            using var scope = NewDisposeScope();
            oursSliced = InSlices(net, x, perSlice).data<float>().ToArray();
        }
        void PerLayer()
        {
            using var mode = inference_mode();
            using var onednn = OneDnn.Evaluation();
            using var scope = NewDisposeScope();
            fusedPerLayer = InSlices(net, x, perSlice, perLayer.Substitutes).contiguous().data<float>().ToArray();
        }
        float[] Jit(ScriptedNetwork s, bool sliced)
        {
            using var mode = inference_mode();
            using var scope = NewDisposeScope();
            if (!sliced)
                return s.Forward(x).contiguous().data<float>().ToArray();
            var parts = x.split(perSlice).Select(part => s.Forward(part)).ToArray();
            return cat(parts, 0).contiguous().data<float>().ToArray();
        }
        void Ort()
        {
            using var results = session.Run(feeds);
            ort = results[0].AsEnumerable<float>().ToArray();
        }
        var rates = Interleaved.Rates(rounds, batch, slot,
            Ours, () => jitCl = Jit(cl, false), () => jitClSliced = Jit(clSliced, true), () => jitBlocked = Jit(blocked, false), Ort, () => jitBlockedSliced = Jit(blockedSliced, true), OursSliced,
            () => jitFused = Jit(fusedWhole, false), () => jitFusedSliced = Jit(fusedSliced, true), PerLayer);
        double scale = ours.Max(Math.Abs);
        double Rel(float[] other) => ours.Zip(other).Max(p => Math.Abs(p.First - p.Second)) / scale;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-10} {$"{batch}/{perSlice}",-11} {Spread.Of(rates[0]).Median,11:N1} {Interleaved.Ratio(rates[1], rates[0]).Show(),22} {Interleaved.Ratio(rates[2], rates[0]).Show(),22} {Interleaved.Ratio(rates[3], rates[0]).Show(),22} {Interleaved.Ratio(rates[5], rates[0]).Show(),22} {Interleaved.Ratio(rates[6], rates[0]).Show(),22} {Interleaved.Ratio(rates[7], rates[0]).Show(),22} {Interleaved.Ratio(rates[8], rates[0]).Show(),22} {Interleaved.Ratio(rates[9], rates[0]).Show(),24} {Interleaved.Ratio(rates[4], rates[0]).Show(),22}   {Rel(jitCl):G2} / {Rel(jitClSliced):G2} / {Rel(jitBlocked):G2} / {Rel(jitBlockedSliced):G2} / {Rel(jitFused):G2} / {Rel(jitFusedSliced):G2} / {Rel(fusedPerLayer):G2} / {Rel(ort):G2}"));
        if (Rel(oursSliced) != 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  note: ours in the scripts' slices differs from ours by {Rel(oursSliced):G2}"));
    }
}

/// <summary>
/// A float evaluation network written out as one TorchScript function over libtorch's mkldnn ops, with its
/// convolution weights prepacked once (prototype for <see cref="JitConvBenchmark"/>).
/// </summary>
internal sealed class ScriptedNetwork : IDisposable
{
    /// <summary>
    /// ChannelsLast and Blocked: functions compiled by <c>torch.jit.compile</c> (aten ops only). Fused: a module
    /// loaded from a <see cref="ScriptArchive"/>, channels-last activations through
    /// <c>ops.mkldnn._convolution_pointwise</c> with weights prepacked by <c>ops.mkldnn._reorder_convolution_weight</c>,
    /// ReLU and the shortcut add fused into the convolution.
    /// </summary>
    public enum Layout { ChannelsLast, Blocked, Fused }

    private readonly Func<string, object[], object> _invoke;
    private readonly IDisposable _unit;
    private readonly List<Tensor> _arguments = [];

    public ScriptedNetwork(Network net, Layout layout, long[] inputShape)
    {
        Script = Write(net, layout, inputShape, out var weights);
        if (Environment.GetEnvironmentVariable("RISTRETTO_JIT_DUMP") is { Length: > 0 } dump)
            File.WriteAllText(Path.Combine(dump, $"{net.Name}-{layout}-{inputShape[0]}.py"), Script);
        if (layout == Layout.Fused)
        {
            var module = ScriptArchive.Load(string.Join("\n", Script.Split('\n').Select(line => line.Length == 0 ? line : "  " + line)));
            _unit = module;
            _invoke = module.invoke;
        }
        else
        {
            var unit = jit.compile(Script);
            _unit = unit;
            _invoke = unit.invoke;
        }
        using var mode = inference_mode();
        foreach (var (tensor, pack) in weights)
        {
            var t = pack is null ? tensor : (Tensor)_invoke(pack, [tensor]);
            if (pack is not null)
                tensor.Dispose();
            t.DetachFromDisposeScope();
            _arguments.Add(t);
        }
    }

    public string Script { get; }

    public Tensor Forward(Tensor input)
    {
        var args = new object[_arguments.Count + 1];
        args[0] = input;
        for (int i = 0; i < _arguments.Count; i++)
            args[i + 1] = _arguments[i];
        return (Tensor)_invoke("forward", args);
    }

    public void Dispose()
    {
        foreach (var t in _arguments)
            t.Dispose();
        _unit.Dispose();
    }

    private static string Ints(params long[] values) => "[" + string.Join(", ", values) + "]";

    private static string Write(Network net, Layout layout, long[] inputShape, out List<(Tensor Tensor, string? Pack)> weights)
    {
        weights = [];
        var shapes = net.Validate(new Dictionary<string, long[]> { [net.Inputs[0].Name] = inputShape });
        var nodes = net.Nodes;
        var body = new StringBuilder();
        var helpers = new StringBuilder();
        var current = new Dictionary<string, string>(StringComparer.Ordinal); // blob → variable now holding it
        var skip = new HashSet<int>();
        bool fused = layout == Layout.Fused;
        var parameters = new List<string> { fused ? "self" : "", "x" }.Where(p => p.Length > 0).ToList();
        bool blocked = layout == Layout.Blocked;
        // Fused: a convolution whose only reader is a shortcut add waits there, to be fused with it.
        var pending = new Dictionary<string, (string Src, string W, string Bias, string Pad, string Stride, string Dil, long Groups)>();
        body.AppendLine(blocked ? "    x0 = x.to_mkldnn()" : "    x0 = x.contiguous(memory_format=2)"); // 2: channels_last
        current[net.Inputs[0].Name] = "x0";
        var dense = new HashSet<string>(); // blocked variant: variables already dense
        void Emit(string var)
        {
            var cv = pending[var];
            pending.Remove(var);
            body.AppendLine($"    {var} = ops.mkldnn._convolution_pointwise({cv.Src}, {cv.W}, {cv.Bias}, {cv.Pad}, {cv.Stride}, {cv.Dil}, {cv.Groups}, \"none\", scalars, None)");
        }
        int v = 0;
        string Dense(string var)
        {
            if (!blocked || dense.Contains(var))
                return var;
            string d = var + "_d";
            body.AppendLine($"    {d} = {var}.to_dense()");
            dense.Add(d);
            return d;
        }
        // The only reader of node i's output (before the blob is written again), or -1.
        int OnlyReader(int i) => FusedLayers.OnlyReader(nodes, i);
        // oneDNN leaves a partial input channel block unwritten (docs/performance.md): a convolution whose input
        // channels need padding gets them from its producer convolution (zero filters, through ReLUs and poolings
        // that only this chain reads), or else from a zero pad in front of it.
        var outChannels = new Dictionary<int, long>();
        int Producer(string blob, int before)
        {
            for (int k = before - 1; k >= 0; k--)
                if (nodes[k].Outputs.Contains(blob))
                    return k;
            return -1;
        }
        for (int j = 0; j < nodes.Count; j++)
        {
            if (nodes[j].Layer is not ConvolutionLayer { Geo.Groups: 1 } cj)
                continue;
            long wanted = OneDnn.PaddedInputChannels(cj.Weight.shape[1]);
            if (wanted == cj.Weight.shape[1])
                continue;
            int consumer = j;
            int k = Producer(nodes[j].Inputs[0], j);
            while (k >= 0 && OnlyReader(k) == consumer)
            {
                if (nodes[k].Layer is ConvolutionLayer { Geo.Groups: 1 })
                {
                    outChannels[k] = wanted;
                    break;
                }
                if (nodes[k].Layer is not (ReLULayer or PoolingLayer { Global: false }))
                    break;
                consumer = k;
                k = Producer(nodes[k].Inputs[0], k);
            }
        }
        var stored = new Dictionary<string, long>(); // variable → channels it holds (≥ the layer's, zeros beyond)
        long Stored(string var, long logical) => stored.TryGetValue(var, out long c) ? c : logical;
        string Logical(string var, long logical)
        {
            string d = Dense(var);
            if (Stored(var, logical) == logical)
                return d;
            body.AppendLine($"    {var}_n = torch.narrow({d}, 1, 0, {logical})");
            return $"{var}_n";
        }
        static Tensor PadDim(Tensor t, long dim, long to)
        {
            using var d = t.detach();
            if (d.shape[dim] == to)
                return d.clone();
            var pads = new long[2 * (d.dim() - dim)];
            pads[^1] = to - d.shape[dim];
            return nn.functional.pad(d, pads);
        }
        for (int i = 0; i < nodes.Count; i++)
        {
            if (skip.Contains(i))
                continue;
            var node = nodes[i];
            var ins = node.Inputs.Select(b => current[b]).ToArray();
            if (node.Layer is not EltwiseLayer)
                foreach (var var in ins.Where(pending.ContainsKey).ToList())
                    Emit(var);
            string y = $"v{v++}";
            switch (node.Layer)
            {
                case ConvolutionLayer c:
                {
                    var g = c.Geo;
                    string pad = Ints(g.Pad.H, g.Pad.W), stride = Ints(g.Stride.H, g.Stride.W), dil = Ints(g.Dilation.H, g.Dilation.W);
                    var inShape = (long[])shapes[node.Inputs[0]].Clone();
                    long cin = c.Weight.shape[1] * g.Groups, cout = c.Weight.shape[0];
                    long have = Stored(ins[0], cin), want = g.Groups == 1 ? Math.Max(have, OneDnn.PaddedInputChannels(cin)) : cin;
                    string src = ins[0];
                    if (want > have)
                    {
                        string d = Dense(src);
                        body.AppendLine($"    {y}_p = torch.constant_pad_nd({d}, [0, 0, 0, 0, 0, {want - have}])");
                        src = blocked ? $"{y}_p.to_mkldnn()" : $"{y}_p";
                    }
                    inShape[1] = want;
                    long outStored = outChannels.TryGetValue(i, out long oc) ? oc : cout;
                    int w = weights.Count;
                    string pack = $"pack{w}";
                    weights.Add((PadDim(PadDim(c.Weight, 1, want / g.Groups), 0, outStored), pack));
                    parameters.Add($"w{w}");
                    string bias = "None";
                    if (c.Bias is not null || outStored != cout)
                    {
                        weights.Add((c.Bias is null ? zeros(outStored) : PadDim(c.Bias, 0, outStored), null));
                        parameters.Add($"w{w + 1}");
                        bias = $"w{w + 1}";
                    }
                    stored[y] = outStored;
                    ins[0] = src;
                    int reader = OnlyReader(i);
                    bool relu = reader >= 0 && nodes[reader].Layer is ReLULayer { NegativeSlope: 0 };
                    if (relu)
                        skip.Add(reader);
                    if (g.Groups == 1 && g.Kernel == (1, 1) && g.Pad == (0, 0) && g.Dilation == (1, 1)
                        && !(blocked && Environment.GetEnvironmentVariable("RISTRETTO_JIT_1X1") == "mkldnn"))
                    {
                        // oneDNN 3.7.1's brgconv_1x1 gave wrong outputs for ResNet-18's 256→512 stride-2 shortcut
                        // (weights Acdb48a, 512 outputs not a multiple of 48): a 1×1 convolution is a matrix
                        // product over the channels of the subsampled input (MKL's sgemm, as ATen does it).
                        weights[w] = (weights[w].Tensor.flatten(1), null);
                        string d = Dense(ins[0]);
                        string sub = g.Stride == (1, 1) ? d : $"{d}[:, :, ::{g.Stride.H}, ::{g.Stride.W}]";
                        body.AppendLine($"    {y} = torch.linear({sub}.permute([0, 2, 3, 1]), w{w}, {bias}).permute([0, 3, 1, 2])");
                        if (relu)
                            body.AppendLine($"    {y} = torch.relu_({y})");
                        if (blocked)
                            body.AppendLine($"    {y} = {y}.contiguous().to_mkldnn()");
                    }
                    else if (fused)
                    {
                        helpers.AppendLine($"def {pack}(self, w):\n    return ops.mkldnn._reorder_convolution_weight(w, {pad}, {stride}, {dil}, {g.Groups}, {Ints(inShape)})\n");
                        int adder = relu ? -1 : reader;
                        if (adder >= 0 && nodes[adder].Layer is EltwiseLayer { Op: EltwiseLayer.Operation.Sum } sum
                            && sum.Coefficients.All(k => k == 1) && nodes[adder].Inputs.Count == 2)
                        {
                            pending[y] = (ins[0], $"w{w}", bias, pad, stride, dil, g.Groups);
                            current[node.Outputs[0]] = y;
                            continue;
                        }
                        body.AppendLine($"    {y} = ops.mkldnn._convolution_pointwise({ins[0]}, w{w}, {bias}, {pad}, {stride}, {dil}, {g.Groups}, \"{(relu ? "relu" : "none")}\", scalars, None)");
                    }
                    else if (blocked)
                    {
                        helpers.AppendLine($"def {pack}(w):\n    return torch.mkldnn_reorder_conv2d_weight(w.to_mkldnn(), {pad}, {stride}, {dil}, {g.Groups}, {Ints(inShape)})\n");
                        body.AppendLine($"    {y} = torch.mkldnn_convolution({ins[0]}, w{w}, {bias}, {pad}, {stride}, {dil}, {g.Groups})");
                        if (relu)
                            body.AppendLine($"    {y} = torch.relu_({y})");
                    }
                    else
                    {
                        // ATen's mkldnn_convolution with dense weights: channels-last in gives channels-last out (no
                        // conversion back to NCHW); the weights are still re-laid out by oneDNN on every call.
                        weights[w] = (weights[w].Tensor, null);
                        body.AppendLine($"    {y} = torch.mkldnn_convolution({ins[0]}, w{w}, {bias}, {pad}, {stride}, {dil}, {g.Groups})");
                        if (relu)
                            body.AppendLine($"    {y} = torch.relu_({y})");
                    }
                    current[(relu ? nodes[reader] : node).Outputs[0]] = y;
                    continue;
                }
                case ReLULayer { NegativeSlope: 0 }:
                    body.AppendLine($"    {y} = torch.relu({ins[0]})");
                    break;
                case PoolingLayer p when p.Global && p.PoolMethod == PoolingLayer.Method.Average:
                    body.AppendLine(blocked
                        ? $"    {y} = torch.adaptive_avg_pool2d({ins[0]}, [1, 1])"
                        : $"    {y} = torch.mean({ins[0]}, [2, 3], True)");
                    break;
                case PoolingLayer { Global: false, PoolMethod: PoolingLayer.Method.Max } p:
                    body.AppendLine($"    {y} = torch.max_pool2d({ins[0]}, {Ints(p.Kernel.H, p.Kernel.W)}, {Ints(p.Stride.H, p.Stride.W)}, {Ints(p.Pad.H, p.Pad.W)}, {Ints(p.Dilation.H, p.Dilation.W)}, {(p.CeilMode ? "True" : "False")})");
                    break;
                case EltwiseLayer e when e.Op == EltwiseLayer.Operation.Sum && e.Coefficients.All(k => k == 1) && ins.Length == 2:
                {
                    int reader = OnlyReader(i);
                    bool addRelu = reader >= 0 && nodes[reader].Layer is ReLULayer { NegativeSlope: 0 };
                    int waiting = pending.ContainsKey(ins[0]) ? 0 : pending.ContainsKey(ins[1]) ? 1 : -1;
                    if (waiting >= 0)
                    {
                        if (pending.ContainsKey(ins[1 - waiting]))
                            Emit(ins[1 - waiting]);
                        var cv = pending[ins[waiting]];
                        pending.Remove(ins[waiting]);
                        body.AppendLine($"    {y} = ops.mkldnn._convolution_pointwise({cv.Src}, {ins[1 - waiting]}, {cv.W}, {cv.Bias}, {cv.Pad}, {cv.Stride}, {cv.Dil}, {cv.Groups}, \"add\", 1.0, {(addRelu ? "\"relu\"" : "None")}, scalars, None)");
                        if (addRelu)
                            skip.Add(reader);
                        current[(addRelu ? nodes[reader] : node).Outputs[0]] = y;
                        continue;
                    }
                    if (addRelu)
                    {
                        skip.Add(reader);
                        string addMode = Environment.GetEnvironmentVariable("RISTRETTO_JIT_ADD") ?? "dense";
                        body.AppendLine(!blocked ? $"    {y} = torch._add_relu({ins[0]}, {ins[1]})"
                            : addMode == "dense" ? $"    {y} = torch._add_relu({ins[0]}.to_dense(), {ins[1]}.to_dense()).to_mkldnn()"
                            : addMode == "norelu" ? $"    {y} = torch.add({ins[0]}, {ins[1]})"
                            : $"    {y} = torch.relu_({ins[0]} + {ins[1]})");
                        current[nodes[reader].Outputs[0]] = y;
                        continue;
                    }
                    body.AppendLine($"    {y} = {ins[0]} + {ins[1]}");
                    break;
                }
                case FlattenLayer { Axis: 1 }:
                    string flat = Logical(ins[0], shapes[node.Inputs[0]][1]);
                    body.AppendLine($"    {y} = torch.flatten({flat}, 1)");
                    break;
                case InnerProductLayer ip:
                {
                    int w = weights.Count;
                    weights.Add((ip.Weight.detach().clone(), null));
                    parameters.Add($"w{w}");
                    string bias = "None";
                    if (ip.Bias is not null)
                    {
                        weights.Add((ip.Bias.detach().clone(), null));
                        parameters.Add($"w{w + 1}");
                        bias = $"w{w + 1}";
                    }
                    string flatIn = Logical(ins[0], shapes[node.Inputs[0]][1]);
                    body.AppendLine($"    {y} = torch.linear(torch.flatten({flatIn}, 1), w{w}, {bias})");
                    dense.Add(y);
                    break;
                }
                case SoftmaxLayer s:
                    string input = Logical(ins[0], shapes[node.Inputs[0]][1]);
                    body.AppendLine($"    {y} = torch.softmax({input}, {s.Axis})");
                    dense.Add(y);
                    break;
                default:
                    throw new RistrettoException($"jit-conv prototype: layer '{node.Layer.LayerName}' ({node.Layer.Type}) is not scripted");
            }
            if (dense.Contains(ins[0]) && node.Layer is not InnerProductLayer and not SoftmaxLayer)
                dense.Add(y);
            if (stored.TryGetValue(ins[0], out long kept) && node.Layer is ReLULayer or PoolingLayer or EltwiseLayer)
                stored[y] = kept;
            current[node.Outputs[0]] = y;
        }
        foreach (var var in pending.Keys.ToList())
            Emit(var);
        string result = Logical(current[net.Outputs[0]], shapes[net.Outputs[0]][1]);
        var script = new StringBuilder(helpers.ToString());
        script.AppendLine($"def forward({string.Join(", ", parameters)}):");
        if (fused)
            script.AppendLine("    scalars = annotate(List[Optional[number]], [])");
        script.Append(body);
        script.AppendLine($"    return {result}");
        var text = script.ToString();
        return text;
    }
}
