namespace Ristretto.Engine;

/// <summary>
/// How one convolution runs under <see cref="OneDnn"/>'s policy: whether it pads its input channels (and its output
/// channels, for a backward pass) so that oneDNN never sees a partial block, and the evaluation whose padded weights may be
/// kept (null: none). Disposing it right after the convolution call releases what <see cref="OneDnn.Plan"/> held.
/// </summary>
internal readonly record struct ConvolutionPlan(bool PadInputs, bool PadOutputs, long? Generation, bool HoldsOff) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        if (HoldsOff)
            OneDnn.ReleaseOff();
    }
}
