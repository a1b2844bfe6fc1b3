namespace Ristretto.Engine;

/// <summary>
/// Where libtorch's oneDNN (mkldnn) CPU convolutions run. libtorch 2.10's oneDNN convolution never writes the last,
/// partial channel block of its padded blocked copy of a source (and of <c>diff_dst</c> in the backward pass), so the
/// convolutions pad such channel counts with zeros themselves (<see cref="PaddedInputChannels"/>,
/// <see cref="PaddedOutputChannels"/>; Layers/OneDnnConvolution) and oneDNN is then correct. libtorch's switch is global
/// to the process; this class owns it:
/// <list type="bullet">
/// <item><c>RISTRETTO_MKLDNN</c> unset: <see cref="OneDnnUse.Evaluation"/>: on while an <see cref="Evaluation"/> scope
/// is open (every evaluation pass opens one), off otherwise: training keeps ATen's kernels.</item>
/// <item><c>RISTRETTO_MKLDNN=1</c>: <see cref="OneDnnUse.Everywhere"/> (training too, with the output channels padded
/// as well wherever gradients are recorded). <c>RISTRETTO_MKLDNN=0</c>: <see cref="OneDnnUse.Off"/>.</item>
/// </list>
/// Under the default policy the switch is a two-mode lock, so that no convolution ever runs under a state it did not
/// prepare for: evaluation scopes share "on" (they nest and may be open on several threads; the first turns oneDNN on,
/// the last to close turns it off; closing twice is harmless); a <see cref="Gradients"/> section (a training step's
/// forward and backward pass) and every convolution outside a scope share "off". Entering one mode waits until the other
/// is released (evaluation first), so a backward pass never runs under oneDNN with a shape its forward pass did not pad.
/// A thread inside one mode that asks for the other keeps the one it holds (no deadlock): a section inside an evaluation
/// scope runs under oneDNN with its output channels padded; a scope inside a section runs under ATen.
/// A forward pass with gradients outside a section pads its output channels, since its backward pass may run later under
/// oneDNN. Nothing in this project trains and evaluates on two threads at once; the tests do.
/// </summary>
public static class OneDnn
{
    private static readonly object Gate = new(); // a monitor: Wait and PulseAll
    private static int _on;          // evaluation scopes holding "on", all threads
    private static int _off;         // sections and single convolutions holding "off", all threads
    private static int _onWaiting;   // evaluation scopes waiting for "off" to be released
    private static long _generation;
    [ThreadStatic] private static int t_on;
    [ThreadStatic] private static int t_off;

    /// <summary>The policy read from <c>RISTRETTO_MKLDNN</c> when libtorch was loaded.</summary>
    public static OneDnnUse Use { get; private set; } = OneDnnUse.Evaluation;

    /// <summary>oneDNN's channel block with AVX-512 (16); AVX2 uses 8, of which 16 is a multiple.</summary>
    public const long ChannelBlock = 16;

    /// <summary>
    /// The input channel count a non-grouped convolution hands oneDNN for <paramref name="channels"/>: rounded up to a
    /// multiple of <see cref="ChannelBlock"/> when it would leave a partial block. Measured with junk-filled memory
    /// (`onednn-shapes` bench, docs/performance.md): with AVX-512 counts up to 16 and multiples of 16 are right, all
    /// others wrong; with AVX2 (<c>ONEDNN_MAX_CPU_ISA=AVX2</c>) counts up to 8 and multiples of 8 are right. The rule
    /// keeps counts up to 8 and multiples of 16, so it is right on both (9–15 are padded needlessly with AVX-512).
    /// </summary>
    public static long PaddedInputChannels(long channels) =>
        channels <= 8 || channels % ChannelBlock == 0 ? channels : RoundUp(channels);

    /// <summary>
    /// The output channel count a non-grouped convolution uses where gradients are recorded: the backward pass's
    /// <c>diff_dst</c> copy is wrong for every count that is not a multiple of the block (8 and 12 too), so every such
    /// count is rounded up to a multiple of <see cref="ChannelBlock"/>.
    /// </summary>
    public static long PaddedOutputChannels(long channels) => channels % ChannelBlock == 0 ? channels : RoundUp(channels);

    private static long RoundUp(long channels) => (channels + ChannelBlock - 1) / ChannelBlock * ChannelBlock;

    /// <summary>Whether ATen may use oneDNN right now (libtorch's switch; tests and benches may flip it themselves).</summary>
    public static bool Active => LibTorchContext.Mkldnn == true;

    /// <summary>Sets the policy from the value of <c>RISTRETTO_MKLDNN</c> and applies it; called once when libtorch loads.</summary>
    internal static void Configure(string? variable)
    {
        lock (Gate)
        {
            Use = variable switch
            {
                "1" => OneDnnUse.Everywhere,
                "0" => OneDnnUse.Off,
                _ => OneDnnUse.Evaluation,
            };
            LibTorchContext.TrySetMkldnn(Use == OneDnnUse.Everywhere || (Use == OneDnnUse.Evaluation && _on > 0));
        }
    }

    /// <summary>
    /// Opens an evaluation scope: oneDNN is on until it is disposed (under the default policy). Use it around passes
    /// without gradients (a <c>using</c> closes it on an exception too).
    /// </summary>
    public static IDisposable Evaluation()
    {
        TorchRuntime.Initialize();
        lock (Gate)
        {
            if (Use == OneDnnUse.Off || t_off > 0)
                return new Release(null); // nothing to switch, or this thread holds "off": keep it
            if (t_on == 0 && Use == OneDnnUse.Evaluation)
            {
                _onWaiting++;
                while (_off > 0)
                    Monitor.Wait(Gate);
                _onWaiting--;
            }
            if (_on++ == 0)
            {
                _generation++;
                if (Use == OneDnnUse.Evaluation)
                    LibTorchContext.TrySetMkldnn(true);
            }
            t_on++;
            return new Release(true);
        }
    }

    /// <summary>
    /// Opens a section for one forward and backward pass with gradients (a training step): under the default policy
    /// oneDNN stays off until it is disposed, so the backward pass runs under the same kernels as the forward pass.
    /// </summary>
    public static IDisposable Gradients()
    {
        TorchRuntime.Initialize();
        return HoldOff() ? new Release(false) : new Release(null);
    }

    /// <summary>
    /// How the calling convolution should run (<paramref name="gradients"/>: it records gradients): whether to pad its
    /// input channels, its output channels, and the evaluation whose padded weights may be kept (null: none). Dispose the
    /// result right after the convolution call.
    /// </summary>
    internal static ConvolutionPlan Plan(bool gradients)
    {
        switch (Use)
        {
            case OneDnnUse.Off: // switched on by hand (tests, benches): prepare for it
                return Active ? new ConvolutionPlan(true, gradients, null, false) : new ConvolutionPlan(false, false, null, false);
            case OneDnnUse.Everywhere:
                return new ConvolutionPlan(true, gradients, gradients ? null : CurrentGeneration(), false);
        }
        lock (Gate)
        {
            if (t_off > 0) // this thread holds "off": stable
                return Active ? new ConvolutionPlan(true, gradients, null, false) : new ConvolutionPlan(false, false, null, false);
            if (t_on > 0) // this thread holds "on": stable until its scope closes; a later backward pass may run under either
                return new ConvolutionPlan(true, gradients, gradients ? null : _generation, false);
        }
        bool held = HoldOff();
        bool on = Active; // switched on by hand (tests, benches): prepare for it
        return new ConvolutionPlan(on, gradients, null, held); // gradients: the backward pass may run under "on" later
    }

    private static long? CurrentGeneration()
    {
        lock (Gate)
            return t_on > 0 ? _generation : null;
    }

    /// <summary>Takes "off" for this thread (waiting while "on" is held or wanted); false when there is nothing to hold.</summary>
    private static bool HoldOff()
    {
        lock (Gate)
        {
            if (Use != OneDnnUse.Evaluation || t_on > 0)
                return false; // nothing to switch, or this thread holds "on": keep it
            if (t_off == 0)
                while (_on > 0 || _onWaiting > 0)
                    Monitor.Wait(Gate);
            _off++;
            t_off++;
            return true;
        }
    }

    internal static void ReleaseOff()
    {
        lock (Gate)
        {
            t_off--;
            if (--_off == 0)
                Monitor.PulseAll(Gate);
        }
    }

    private static void ReleaseOn()
    {
        lock (Gate)
        {
            t_on--;
            if (--_on == 0)
            {
                if (Use == OneDnnUse.Evaluation)
                    LibTorchContext.TrySetMkldnn(false);
                Monitor.PulseAll(Gate);
            }
        }
    }

    /// <summary>Releases what a scope or section holds (true: "on", false: "off", null: nothing), once.</summary>
    private sealed class Release(bool? on) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (on is null || Interlocked.Exchange(ref _closed, 1) != 0)
                return;
            if (on.Value)
                ReleaseOn();
            else
                ReleaseOff();
        }
    }
}
