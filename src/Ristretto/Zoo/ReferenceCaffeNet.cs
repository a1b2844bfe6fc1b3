using Ristretto.Graph;

namespace Ristretto.Zoo;

/// <summary>
/// CaffeNet as Caffe's <c>models/bvlc_reference_caffenet/deploy.prototxt</c>: <see cref="AlexNet"/> with each of
/// the first two max poolings before its LRN instead of after (pool1, norm1; pool2, norm2), for 3×227×227
/// inputs. Layer names, shapes and the 60,965,224 parameters (1000 classes) are AlexNet's.
/// </summary>
public static class ReferenceCaffeNet
{
    /// <summary>The zoo name.</summary>
    public const string ArchitectureName = "caffenet";

    /// <summary>Builds CaffeNet for <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network Build(int classes = 1000, ulong seed = 1) => AlexNet.Build(ArchitectureName, poolBeforeNorm: true, classes, seed);
}
