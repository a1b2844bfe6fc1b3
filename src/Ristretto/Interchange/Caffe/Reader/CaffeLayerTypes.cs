using System.Reflection;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Layers;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>
/// Caffe's layer types and the layer classes built from them: every class marked <see cref="CaffeLayerAttribute"/>
/// builds itself (its <c>FromCaffe</c>), so a new layer type is read from Caffe without a change here.
/// </summary>
internal static class CaffeLayerTypes
{
    private static readonly Dictionary<string, Func<LayerParameter, CaffeLayerInputs, Layer>> Builders = Discover();

    /// <summary>The layer <paramref name="p"/> describes; one error line for a type no layer class reads.</summary>
    public static Layer Create(LayerParameter p, CaffeLayerInputs inputs) =>
        Builders.TryGetValue(p.Type, out var build) ? build(p, inputs)
        : throw new RistrettoException($"layer type {p.Type} is not supported yet");

    private static Dictionary<string, Func<LayerParameter, CaffeLayerInputs, Layer>> Discover()
    {
        var builders = new Dictionary<string, Func<LayerParameter, CaffeLayerInputs, Layer>>(StringComparer.Ordinal);
        foreach (var type in typeof(Layer).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<CaffeLayerAttribute>() is not { } attribute)
                continue;
            var method = type.GetMethod("FromCaffe", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, [typeof(LayerParameter), typeof(CaffeLayerInputs)])
                ?? throw new InvalidOperationException($"{type.Name} is marked [CaffeLayer] but has no static FromCaffe(LayerParameter, CaffeLayerInputs)");
            var build = method.CreateDelegate<Func<LayerParameter, CaffeLayerInputs, Layer>>();
            foreach (var name in attribute.Types)
                builders.Add(name, build);
        }
        return builders;
    }
}
