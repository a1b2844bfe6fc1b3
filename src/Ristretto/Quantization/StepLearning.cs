namespace Ristretto.Quantization;

/// <summary>Whether fine-tuning learns a layer's integer scales (and offsets), or its binary/ternary α, along with its weights.</summary>
public enum StepLearning
{
    /// <summary>The plan's scales and zero points stay as they are.</summary>
    None,

    /// <summary>
    /// LSQ (Esser et al., 2020): every integer tensor's scale is a trained parameter; zero points stay fixed.
    /// </summary>
    Lsq,

    /// <summary>
    /// LSQ+ (Bhalgat et al., 2020): as LSQ, and an asymmetric tensor's offset is trained too (written back as
    /// the nearest integer zero point).
    /// </summary>
    LsqPlus,

    /// <summary>
    /// Binary or ternary weights with a trained α (TTQ-style, <see cref="LearnedTwoLevel"/>): α starts from the plan's,
    /// TWN's threshold follows the shadow weights.
    /// </summary>
    Ttq,
}
