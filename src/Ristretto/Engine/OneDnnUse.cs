namespace Ristretto.Engine;

/// <summary>Where oneDNN's convolutions run (<c>RISTRETTO_MKLDNN</c>).</summary>
public enum OneDnnUse
{
    /// <summary><c>RISTRETTO_MKLDNN=0</c>: nowhere; ATen's own kernels only.</summary>
    Off,

    /// <summary>Unset (the default): in evaluation passes (<see cref="OneDnn.Evaluation"/> scopes) only.</summary>
    Evaluation,

    /// <summary><c>RISTRETTO_MKLDNN=1</c>: everywhere, training included.</summary>
    Everywhere,
}
