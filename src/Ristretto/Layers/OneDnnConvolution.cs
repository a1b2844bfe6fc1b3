using Ristretto.Engine;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// 2-D convolutions that never hand libtorch's oneDNN a partial channel block (<see cref="OneDnn"/>). While oneDNN is
/// on, a convolution's input channels that would leave one are zero-padded to <see cref="OneDnn.PaddedInputChannels"/>
/// in the input and in the weights (zero weights on zero channels add exactly nothing); where gradients are recorded,
/// the output channels are padded to <see cref="OneDnn.PaddedOutputChannels"/> too (zero filters, zero bias) and sliced
/// off again, so that the backward pass's <c>diff_dst</c> has whole blocks. A transposed convolution pads its input
/// channels by the output rule (they are its <c>diff_dst</c>) and its output channels where gradients are recorded. Stride, padding, dilation and output
/// padding are unchanged; it all runs through autograd. Grouped and depthwise convolutions are never padded: oneDNN
/// got them right unpadded on every shape measured, with AVX-512 and AVX2 (`onednn-shapes` bench, docs/performance.md);
/// they take <see cref="OneDnn.Plan"/> all the same, which keeps the switch stable during the call.
/// What to pad is <see cref="OneDnn.Plan"/>'s decision (which also keeps the switch stable during the call); with oneDNN
/// off, or where nothing needs padding, these are exactly <c>conv2d</c> and <c>conv_transpose2d</c>.
/// </summary>
internal static class OneDnnConvolution
{
    /// <summary>
    /// <c>conv2d(input, weight, bias, …)</c> with the padding above; <paramref name="cache"/> keeps the padded weights of
    /// an evaluation (no gradients recorded) until it ends.
    /// </summary>
    internal static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation,
        long groups, PaddedWeights? cache)
    {
        if (!Applies(input))
            return nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups);
        long inputs = weight.shape[1], outputs = weight.shape[0];
        // Grouped convolutions take the plan too, though they are never padded: it is what keeps libtorch's switch from
        // changing under the call (outside an evaluation scope another thread's scope could turn oneDNN on mid-pass).
        using var plan = OneDnn.Plan(RecordsGradients(input, weight, bias));
        // Channels-last where it was checked right: passes without gradients, undilated kernels larger than 1×1, not grouped.
        bool channelsLast = plan.PadInputs && !plan.PadOutputs && groups == 1 && (weight.shape[2] > 1 || weight.shape[3] > 1)
            && dilation.All(d => d == 1);
        if (channelsLast && inputs == 1 && input.is_contiguous())
            return SingleChannel(input, weight, bias, stride, padding);
        if (channelsLast && (OneDnn.PaddedInputChannels(inputs) != inputs || Engine.ChannelsLast.Is(input)))
            return RunChannelsLast(input, weight, bias, stride, padding, dilation);

        using var scope = NewDisposeScope();
        // Every other convolution gets NCHW, as before channels-last outputs existed (oneDNN's channels-last 1×1 kernel is
        // wrong on some shapes; grouped and transposed ones were never checked channels-last).
        var nchw = plan.PadInputs && !input.is_contiguous() ? input.contiguous() : input;
        if (groups != 1)
            return nn.functional.conv2d(nchw, weight, bias, stride, padding, dilation, groups).MoveToOuterDisposeScope();
        long inPadded = plan.PadInputs ? OneDnn.PaddedInputChannels(inputs) : inputs;
        long outPadded = plan.PadOutputs ? OneDnn.PaddedOutputChannels(outputs) : outputs;
        if (inPadded == inputs && outPadded == outputs)
            return nn.functional.conv2d(nchw, weight, bias, stride, padding, dilation, groups).MoveToOuterDisposeScope();
        var x = inPadded == inputs ? nchw : nn.functional.pad(nchw, [0, 0, 0, 0, 0, inPadded - inputs]);
        Tensor PadWeight() => Pad(Pad(weight, 1, inputs, inPadded), 0, outputs, outPadded);
        var w = cache is not null && plan.Generation is { } generation ? cache.Get(weight, generation, PadWeight) : PadWeight();
        var y = nn.functional.conv2d(x, w, bias is null ? null : Pad(bias, 0, outputs, outPadded), stride, padding, dilation, groups);
        return (outPadded == outputs ? y : y.narrow(1, 0, outputs)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A convolution without gradients whose input channels would leave oneDNN a partial block, run on a channels-last
    /// (NHWC-strided) copy of its input instead of a zero-padded one: oneDNN then reads the source where it lies, with no
    /// blocked copy to leave half-written, and does no work on padding channels. A channels-last input (from a previous
    /// such convolution, through pooling) needs no copy, and the output stays channels-last, as oneDNN writes it: ATen's
    /// operations keep their meaning on any strides and the trims take channels-last tensors as they are. LeNet's conv2
    /// (20 → 50, 5×5) at 50 images: 1.44 ms with both layout copies against 2.57 ms padded (docs/performance.md). Only
    /// for undilated kernels larger than 1×1: with libc10's junk fill, 4,320 such shapes (kernels 2/3/5/7, strides 1–3,
    /// 3–200 input and 7–1,000 output channels, batches 1/3/17) matched ATen, while oneDNN's channels-last 1×1 kernel read
    /// unwritten memory for 100 and 1,000 output channels (1×1 convolutions keep NCHW and the padding; OneDnnPaddingTests
    /// covers both).
    /// </summary>
    private static Tensor RunChannelsLast(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation)
    {
        using var scope = NewDisposeScope();
        var nhwc = Engine.ChannelsLast.Of(input);
        return nn.functional.conv2d(nhwc, weight, bias, stride, padding, dilation).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A convolution without gradients of a single-channel input (a gray image, LeNet's conv1): the input is declared
    /// channels-last, which for one channel is the same memory (strides only), so oneDNN writes its output channels-last
    /// where it computes them instead of converting it from its blocked layout to NCHW afterwards, a copy that took as
    /// long as the convolution (LeNet conv1, 50 images: 0.44 ms against 0.70 ms, the same values). The output stays
    /// channels-last: ATen's operations keep their meaning on any strides, pooling keeps the layout, and the trims take
    /// channels-last tensors as they are (<see cref="Quantization.Trimmer"/>).
    /// </summary>
    private static Tensor SingleChannel(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding)
    {
        using var scope = NewDisposeScope();
        long h = input.shape[2], w = input.shape[3];
        var nhwc = input.as_strided(input.shape, [h * w, 1, w, 1], input.storage_offset()); // a slice of a batch starts inside it
        return nn.functional.conv2d(nhwc, weight, bias, stride, padding).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>conv_transpose2d(input, weight, bias, …)</c> (weight [in, out, kh, kw]) with the padding above. Its input plays
    /// the part of a convolution's <c>diff_dst</c>, so input channels are padded by <see cref="OneDnn.PaddedOutputChannels"/>'s rule.
    /// </summary>
    internal static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding,
        long[] outputPadding, long[] dilation, long groups)
    {
        if (!Applies(input))
            return nn.functional.conv_transpose2d(input, weight, bias, stride, padding, outputPadding, dilation, groups);
        long inputs = weight.shape[0], outputs = weight.shape[1];
        using var plan = OneDnn.Plan(RecordsGradients(input, weight, bias)); // grouped too: see Conv2d
        using var scope = NewDisposeScope();
        var nchw = plan.PadInputs && !input.is_contiguous() ? input.contiguous() : input; // NCHW, as in Conv2d
        if (groups != 1)
            return nn.functional.conv_transpose2d(nchw, weight, bias, stride, padding, outputPadding, dilation, groups).MoveToOuterDisposeScope();
        long inPadded = plan.PadInputs ? OneDnn.PaddedOutputChannels(inputs) : inputs;
        long outPadded = plan.PadOutputs ? OneDnn.PaddedOutputChannels(outputs) : outputs;
        if (inPadded == inputs && outPadded == outputs)
            return nn.functional.conv_transpose2d(nchw, weight, bias, stride, padding, outputPadding, dilation, groups).MoveToOuterDisposeScope();
        var x = inPadded == inputs ? nchw : nn.functional.pad(nchw, [0, 0, 0, 0, 0, inPadded - inputs]);
        var w = Pad(Pad(weight, 0, inputs, inPadded), 1, outputs, outPadded);
        var y = nn.functional.conv_transpose2d(x, w, bias is null ? null : Pad(bias, 0, outputs, outPadded),
            stride, padding, outputPadding, dilation, groups);
        return (outPadded == outputs ? y : y.narrow(1, 0, outputs)).MoveToOuterDisposeScope();
    }

    /// <summary>Whether oneDNN could take this convolution: a float32 CPU batch.</summary>
    private static bool Applies(Tensor input) =>
        input.dim() == 4 && input.device_type == TorchSharp.DeviceType.CPU && input.dtype == ScalarType.Float32;

    private static bool RecordsGradients(Tensor input, Tensor weight, Tensor? bias) =>
        is_grad_enabled() && (input.requires_grad || weight.requires_grad || bias is { requires_grad: true });

    /// <summary>Zero-pads dimension <paramref name="dim"/> of <paramref name="t"/> from <paramref name="count"/> to <paramref name="padded"/> (at its end).</summary>
    private static Tensor Pad(Tensor t, long dim, long count, long padded)
    {
        if (padded == count)
            return t;
        var pads = new long[2 * (t.dim() - dim)]; // (last dim: left, right, …, dim: left, right)
        pads[^1] = padded - count;
        return nn.functional.pad(t, pads);
    }
}
