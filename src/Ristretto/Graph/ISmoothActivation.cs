namespace Ristretto.Graph;

/// <summary>
/// An elementwise smooth activation (tanh, sigmoid, ELU) that a plan may replace by a piecewise-linear or lookup-table
/// approximation (<c>Quantization/ApproximateActivationLayer</c>, docs/compression.md): the layer gives its function, the
/// input interval a table covers by default, and how it continues outside that interval.
/// </summary>
public interface ISmoothActivation
{
    /// <summary>The exact function at <paramref name="x"/> (double precision, for building tables).</summary>
    double Value(double x);

    /// <summary>The input interval a table covers unless the plan says otherwise (where the function is not yet linear).</summary>
    (double Lo, double Hi) DefaultRange { get; }

    /// <summary>The slopes the function continues with below and above the table's interval (0 where it saturates).</summary>
    (double Below, double Above) SlopesOutside { get; }
}
