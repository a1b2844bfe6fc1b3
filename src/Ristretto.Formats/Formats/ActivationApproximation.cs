using System.Globalization;
using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// How a smooth activation (tanh, sigmoid, ELU) is computed in hardware instead of exactly: a piecewise-linear unit
/// (<see cref="PiecewiseLinearActivation"/>) or a lookup table (<see cref="LookupTableActivation"/>) over the input interval
/// [<see cref="Lo"/>, <see cref="Hi"/>], whose stored values are rounded to <see cref="Entries"/> (null: float32). A plan entry
/// of an activation layer carries one (<c>"approximation": {"kind": "pwl", "segments": 16, "lo": -4, "hi": 4, "entries":
/// {…}}</c>, or <c>{"kind": "lut", "size": 256, …}</c>). Like a number format, the record carries its behaviour: its table, its scalar reference (the tensor path in
/// <c>Quantization/ApproximateActivationLayer</c> gives the same bits), its plan-file form and its cost hooks.
/// </summary>
/// <remarks>
/// The input is first clamped to [lo, hi]; every arithmetic step is a float32 operation, in the order the scalar
/// reference <see cref="Evaluate"/> states. Outside the interval the layer's own slopes continue the table's end values
/// (0 for tanh and sigmoid, which saturate).
/// </remarks>
public abstract record ActivationApproximation
{
    /// <summary>Validates the shared parameters; one <see cref="RistrettoException"/> line otherwise.</summary>
    protected ActivationApproximation(int count, float lo, float hi, NumberFormat? entries, int minCount)
    {
        Guard.Check(float.IsFinite(lo) && float.IsFinite(hi) && lo < hi, $"an activation table's interval must be finite with lo < hi, got [{lo}, {hi}]");
        Guard.InRange(CountName, count, minCount, 65536);
        Guard.Check(entries is null || entries.ChannelAxis is null, "an activation table's entry format must be per-tensor");
        Count = count;
        Lo = lo;
        Hi = hi;
        Entries = entries;
    }

    /// <summary>The plan-file kind: "pwl" or "lut".</summary>
    public abstract string Kind { get; }

    /// <summary>Segments (piecewise linear) or entries (lookup table).</summary>
    public int Count { get; }

    /// <summary>Lower end of the interval the table covers.</summary>
    public float Lo { get; }

    /// <summary>Upper end of the interval the table covers.</summary>
    public float Hi { get; }

    /// <summary>The number format of the stored values (null: float32).</summary>
    public NumberFormat? Entries { get; }

    /// <summary>What <see cref="Count"/> is called in plan files ("segments" or "size").</summary>
    protected virtual string CountName => "count";

    /// <summary>What a <see cref="Count"/> counts, for text ("segments" or "entries").</summary>
    protected virtual string CountLabel => CountName;

    /// <summary>Values stored: knots (segments + 1) or entries.</summary>
    public abstract int TableSize { get; }

    /// <summary>The float32 distance between neighbouring table points.</summary>
    public float Step => (float)(((double)Hi - Lo) / Math.Max(1, TableSize - 1));

    /// <summary>The stored values for <paramref name="function"/>: its value at <c>lo + j·(hi − lo)/(size − 1)</c>, rounded to <see cref="Entries"/>.</summary>
    public float[] Table(Func<double, double> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var table = new float[TableSize];
        for (int j = 0; j < table.Length; j++)
        {
            double x = Lo + j * ((double)Hi - Lo) / (table.Length - 1);
            double v = function(x);
            table[j] = (float)(Entries?.Quantize(v) ?? ScalarMath.F32(v));
        }
        return table;
    }

    /// <summary>
    /// The scalar reference inside the interval: the approximation at <paramref name="clamped"/> (a float32 value in
    /// [lo, hi]) given the <paramref name="table"/> of <see cref="Table"/>.
    /// </summary>
    public abstract double Evaluate(double clamped, IReadOnlyList<float> table);

    /// <summary>
    /// The scalar reference everywhere: NaN stays NaN; otherwise <see cref="Evaluate"/> at <c>clamp(x, lo, hi)</c>, plus
    /// <c>fl32(below · fl32(x − lo))</c> under the interval or <c>fl32(above · fl32(x − hi))</c> over it when that slope is not 0.
    /// </summary>
    public double Apply(double x, IReadOnlyList<float> table, double slopeBelow = 0, double slopeAbove = 0)
    {
        double xf = ScalarMath.F32(x);
        if (double.IsNaN(xf))
            return xf;
        double y = Evaluate(Math.Clamp(xf, Lo, Hi), table);
        if (xf < Lo && slopeBelow != 0)
            y = ScalarMath.F32(y + ScalarMath.F32(ScalarMath.F32(slopeBelow) * ScalarMath.F32(xf - Lo)));
        if (xf > Hi && slopeAbove != 0)
            y = ScalarMath.F32(y + ScalarMath.F32(ScalarMath.F32(slopeAbove) * ScalarMath.F32(xf - Hi)));
        return y;
    }

    // ---- Cost hooks (Ristretto.Hardware.ActivationUnitCost reads them).

    /// <summary>Bits of one stored value (32 for float32 entries).</summary>
    public int EntryBits => Entries?.BitWidth ?? 32;

    /// <summary>Bits of a table address: ⌈log2 <see cref="TableSize"/>⌉.</summary>
    public int IndexBits => (int)Math.Ceiling(Math.Log2(Math.Max(2, TableSize)));

    /// <summary>Table values read per element (a lookup table 1; piecewise linear 2, the segment's ends).</summary>
    public abstract int ReadsPerElement { get; }

    /// <summary>Multiply-adds per element after the read (a lookup table 0; piecewise linear 1, the interpolation).</summary>
    public abstract int MultiplyAddsPerElement { get; }

    // ---- Plan files.

    /// <summary>The plan-file object: <c>"kind"</c>, the count, <c>"lo"</c>, <c>"hi"</c> and <c>"entries"</c> (a format; absent for float32).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["kind"] = Kind, [CountName] = Count, ["lo"] = Lo, ["hi"] = Hi };
        if (Entries is { } e)
            o["entries"] = e.ToJson();
        return o;
    }

    /// <summary>Reads <see cref="ToJson"/>'s object; anything malformed is one <see cref="RistrettoException"/> line.</summary>
    public static ActivationApproximation FromJson(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node is not JsonObject o)
            throw new RistrettoException("an activation approximation must be an object with \"kind\" pwl or lut");
        string? kind = o["kind"] is JsonValue k && k.TryGetValue(out string? text) ? text : null;
        var entries = o["entries"] is { } f ? FormatRegistry.FromJson(f) : null;
        float lo = FormatRegistry.Float(o, "lo"), hi = FormatRegistry.Float(o, "hi");
        return kind switch
        {
            "pwl" => new PiecewiseLinearActivation(FormatRegistry.Int(o, "segments"), lo, hi, entries),
            "lut" => new LookupTableActivation(FormatRegistry.Int(o, "size"), lo, hi, entries),
            _ => throw new RistrettoException($"unknown activation approximation kind '{kind}' (pwl or lut)"),
        };
    }

    /// <summary>Short text for tables, e.g. "pwl 16 segments on [-4, 4], dfp8".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Kind} {Count} {CountLabel} on [{Lo}, {Hi}], {(Entries is null ? "float32" : $"{Entries.BitWidth}-bit {Entries.Kind}")} entries");
}
