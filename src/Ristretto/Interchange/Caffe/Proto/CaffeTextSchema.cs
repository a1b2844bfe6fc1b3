namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>
/// How Caffe's text files depart from "every field must be in our schema subset":
/// the old V1 <c>layers</c> syntax is refused with the way to upgrade it, and the parameter blocks
/// of BVLC layer types this project does not model (<c>slice_param</c>, <c>python_param</c>, ...)
/// are skipped rather than refused, so that such a net still parses and the graph builder can name
/// the unsupported layer type instead of the parser naming an unknown field.
/// A misspelt field (<c>kernal_size</c>) is still an error.
/// </summary>
internal static class CaffeTextSchema
{
    /// <summary>The reason given for a net written in the pre-2015 syntax.</summary>
    public const string V1Refusal =
        "uses the old V1 'layers' syntax; upgrade it with Caffe's upgrade_net_proto_text tool and load the result";

    /// <summary>The options for Caffe nets and solvers.</summary>
    public static TextFormatOptions Options { get; } = new()
    {
        RefusedFields = new Dictionary<string, string>
        {
            ["caffe.NetParameter.layers"] = V1Refusal,
        },
        SkippedFields = new[]
        {
            // LayerParameter fields of full BVLC caffe.proto that our subset leaves out.
            "argmax_param", "bias_param", "contrastive_loss_param", "crop_param", "dummy_data_param",
            "embed_param", "exp_param", "hdf5_data_param", "hdf5_output_param", "hinge_loss_param",
            "infogain_loss_param", "log_param", "memory_data_param", "mvn_param", "parameter_param",
            "power_param", "python_param", "recurrent_param", "reduction_param", "spp_param",
            "slice_param", "threshold_param", "tile_param", "window_data_param",
        }.Select(name => "caffe.LayerParameter." + name).ToHashSet(),
    };
}
