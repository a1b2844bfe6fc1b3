using Ristretto.Tests.Data;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// A fact that needs ML.NET's ResNet18 featurizer models (and, with <c>photographs: true</c>, scikit-image's sample
/// photographs); skipped, saying why, when they are not found.
/// </summary>
public sealed class DnnImageModelsFactAttribute : FactAttribute
{
    public DnnImageModelsFactAttribute(bool photographs = false)
    {
        if ((DnnImageModels.Missing ?? (photographs ? ReferencePhotos.Missing : null)) is { } why)
            Skip = why;
    }
}

/// <summary>
/// The two ONNX files of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18, which the test project references
/// for its build props only: they copy <c>tools/DnnImageModels/**</c> to <c>DnnImageModels/</c> in the test output.
/// When that copy is absent (a build without the package), the package folder itself is searched.
/// </summary>
internal static class DnnImageModels
{
    private const string Package = "microsoft.ml.dnnimagefeaturizer.resnet18";
    private static readonly string[] Files = [Path.Combine("ResNet18Onnx", "ResNet18.onnx"), Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx")];

    /// <summary>The folder holding ResNet18Onnx/ and ResNetPrepOnnx/, or null.</summary>
    public static string? Folder { get; } = Find();

    /// <summary>CNTK's ResNet18 without its classifier: BGR minus the mean image in, 512 pooled features out.</summary>
    public static string ResNet18 => Path.Combine(Folder!, Files[0]);

    /// <summary>RGB pixels (0 to 255) in, BGR minus the ImageNet mean image out.</summary>
    public static string Preprocess => Path.Combine(Folder!, Files[1]);

    /// <summary>Why the models cannot be used, or null.</summary>
    public static string? Missing => Folder is null
        ? $"ResNet18.onnx and ResNetPreprocess.onnx not found in {Path.Combine(AppContext.BaseDirectory, "DnnImageModels")} nor in the NuGet package {Package} (restore tests/Ristretto.Tests)"
        : null;

    private static string? Find()
    {
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, "DnnImageModels") };
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var versions = Path.Combine(packages, Package);
        if (Directory.Exists(versions))
            candidates.AddRange(Directory.GetDirectories(versions).OrderDescending().Select(v => Path.Combine(v, "tools", "DnnImageModels")));
        return candidates.FirstOrDefault(c => Files.All(f => File.Exists(Path.Combine(c, f))));
    }
}
