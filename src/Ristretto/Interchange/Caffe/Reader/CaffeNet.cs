using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>
/// A Caffe net ready for the graph builder: the prototxt parsed, the caffemodel's blobs attached
/// by layer name (if one is given), the layers of one phase selected, and the structure checked.
/// Nothing here knows shapes; shape checks and layer semantics belong to the graph builder.
/// </summary>
internal sealed class CaffeNet
{
    private CaffeNet(string fileName, NetParameter definition, NetParameter selected, CaffeBlobFlow flow, TextSourceMap source)
    {
        FileName = fileName;
        Definition = definition;
        Net = selected;
        Flow = flow;
        Source = source;
    }

    /// <summary>The prototxt's file name, as used in error messages.</summary>
    public string FileName { get; }

    /// <summary>The net's name (may be empty).</summary>
    public string Name => Net.Name;

    /// <summary>The phase the layers were selected for.</summary>
    public Phase Phase => Net.State.Phase;

    /// <summary>The whole parsed prototxt (all phases), with blobs attached when a caffemodel was given.</summary>
    public NetParameter Definition { get; }

    /// <summary>The net of the selected phase: its layers in order (the same objects as in <see cref="Definition"/>) and net-level inputs.</summary>
    public NetParameter Net { get; }

    /// <summary>The selected layers in order.</summary>
    public IReadOnlyList<LayerParameter> Layers => Net.Layer;

    /// <summary>Inputs, outputs and in-place layers of the selected net.</summary>
    public CaffeBlobFlow Flow { get; }

    /// <summary>Where each layer was written in the prototxt, for error messages (<see cref="Where"/>).</summary>
    public TextSourceMap Source { get; }

    /// <summary>Loads a net for <paramref name="phase"/>, with weights from <paramref name="caffemodelPath"/> if given.</summary>
    /// <exception cref="RistrettoException">A file is missing or malformed, the files disagree, or the structure is broken.</exception>
    public static CaffeNet Load(string prototxtPath, string? caffemodelPath = null, Phase phase = Phase.Test)
    {
        NetParameter? model = caffemodelPath is null ? null : CaffeModelFile.Read(caffemodelPath);
        return FromText(CaffePrototxt.ReadText(prototxtPath), Path.GetFileName(prototxtPath), model,
            caffemodelPath is null ? null : Path.GetFileName(caffemodelPath), new NetState { Phase = phase });
    }

    /// <summary>Builds a net from prototxt text and an optional parsed caffemodel, for the given state.</summary>
    /// <param name="text">The prototxt content.</param>
    /// <param name="fileName">The prototxt's name, for errors.</param>
    /// <param name="model">The parsed caffemodel, or null for a net without weights.</param>
    /// <param name="modelName">The caffemodel's name, for errors.</param>
    /// <param name="state">Phase (and, rarely used, level and stages) that selects the layers.</param>
    public static CaffeNet FromText(string text, string fileName, NetParameter? model, string? modelName, NetState state)
    {
        var source = new TextSourceMap { FileName = fileName };
        NetParameter definition = CaffePrototxt.ParseNet(text, fileName, source);
        if (definition.Layer.Count == 0 && definition.Input.Count == 0)
            throw new RistrettoException($"{fileName} defines no layers; is it a Caffe net (not a solver)?");
        if (model is not null)
            CaffeWeights.Attach(definition, model, fileName, modelName ?? "the caffemodel");
        NetParameter selected = CaffePhaseFilter.Select(definition, state, source);
        CaffeBlobFlow flow = CaffeNetValidator.Validate(selected, fileName, source);
        return new CaffeNet(fileName, definition, selected, flow, source);
    }

    /// <summary>The blobs of <paramref name="layer"/> as shapes and float arrays (empty without a caffemodel).</summary>
    public static IReadOnlyList<CaffeBlob> Blobs(LayerParameter layer) => CaffeWeights.Of(layer);

    /// <summary>The prefix of an error about <paramref name="layer"/>: <c>file:line:column</c>.</summary>
    public string Where(LayerParameter layer) => Source.Where(layer);
}
