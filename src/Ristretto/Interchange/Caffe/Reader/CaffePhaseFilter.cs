using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>
/// Keeps the layers of a net that apply in a given state, following Caffe's <c>Net::FilterNet</c>:
/// a layer with <c>include</c> rules is kept if any rule is met, a layer with <c>exclude</c> rules
/// is kept unless one is met, a layer with neither is always kept. A rule is met when its phase
/// (if given) is the state's phase, the state's level lies in [min_level, max_level] (where given),
/// the state has every <c>stage</c> and no <c>not_stage</c> of the rule.
/// </summary>
internal static class CaffePhaseFilter
{
    /// <summary>The layers for <paramref name="phase"/> at level 0 with no stages, in file order.</summary>
    public static NetParameter Select(NetParameter net, Phase phase, TextSourceMap? map = null) =>
        Select(net, new NetState { Phase = phase }, map);

    /// <summary>
    /// A net holding the layers of <paramref name="net"/> that apply in <paramref name="state"/> (the same
    /// layer objects, not copies), its net-level inputs, and <paramref name="state"/> as its state.
    /// </summary>
    /// <exception cref="RistrettoException">A layer gives both include and exclude rules (Caffe refuses that too).</exception>
    public static NetParameter Select(NetParameter net, NetState state, TextSourceMap? map = null)
    {
        var kept = new List<LayerParameter>();
        foreach (LayerParameter layer in net.Layer)
        {
            if (layer.Include.Count > 0 && layer.Exclude.Count > 0)
                throw new RistrettoException(
                    $"{map?.Where(layer) ?? "net"}: layer '{layer.Name}' gives both include and exclude rules; Caffe allows one kind only");
            bool applies = layer.Include.Count > 0
                ? layer.Include.Any(rule => Meets(state, rule))
                : !layer.Exclude.Any(rule => Meets(state, rule));
            if (applies)
                kept.Add(layer);
        }
        // The kept layers are shared, not cloned: the source map keeps pointing at them, and a
        // net's weights are not copied.
        var selected = new NetParameter { State = state.Clone() };
        if (net.HasName)
            selected.Name = net.Name;
        if (net.HasForceBackward)
            selected.ForceBackward = net.ForceBackward;
        if (net.HasDebugInfo)
            selected.DebugInfo = net.DebugInfo;
        selected.Input.AddRange(net.Input);
        selected.InputShape.AddRange(net.InputShape.Select(s => s.Clone()));
        selected.InputDim.AddRange(net.InputDim);
        selected.Layer.AddRange(kept);
        return selected;
    }

    /// <summary>Whether <paramref name="state"/> meets <paramref name="rule"/>.</summary>
    public static bool Meets(NetState state, NetStateRule rule) =>
        (!rule.HasPhase || rule.Phase == state.Phase)
        && (!rule.HasMinLevel || state.Level >= rule.MinLevel)
        && (!rule.HasMaxLevel || state.Level <= rule.MaxLevel)
        && rule.Stage.All(s => state.Stage.Contains(s))
        && !rule.NotStage.Any(s => state.Stage.Contains(s));
}
