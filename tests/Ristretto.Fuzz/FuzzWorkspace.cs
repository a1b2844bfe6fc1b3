using Ristretto.Data.Images;
using Ristretto.Data.Sources;

namespace Ristretto.Fuzz;

/// <summary>
/// The folders the file-based targets write their input into, made once per process under /dev/shm where it exists
/// (a RAM disk: no disk traffic at thousands of executions a second): a CIFAR-10 folder whose training batches are one
/// valid record each, and a folder of images for ImageData lists. The campaign script removes them afterwards.
/// </summary>
public static class FuzzWorkspace
{
    private static readonly Lazy<string> Root = new(() =>
    {
        string parent = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string root = Path.Combine(parent, $"ristretto-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        return root;
    });

    private static readonly Lazy<string> CifarFolder = new(() =>
    {
        string folder = Path.Combine(Root.Value, "cifar");
        Directory.CreateDirectory(folder);
        for (int i = 1; i <= 5; i++)
            CifarSource.WriteCifar10(Path.Combine(folder, $"data_batch_{i}.bin"), [((byte)i, new byte[CifarSource.ImageBytes])]);
        return folder;
    });

    private static readonly Lazy<string> ImageFolder = new(() =>
    {
        string folder = Path.Combine(Root.Value, "images");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        var image = new DecodedImage([.. Enumerable.Range(0, 4 * 5 * 3).Select(i => (byte)(i * 4))], 4, 5, 3, ChannelOrder.Rgb);
        File.WriteAllBytes(Path.Combine(folder, "a.png"), ImageCodec.Encode(image, ".png"));
        File.WriteAllBytes(Path.Combine(folder, "b b.jpg"), ImageCodec.Encode(image, ".jpg"));
        File.WriteAllBytes(Path.Combine(folder, "sub", "c.bmp"), ImageCodec.Encode(image, ".bmp"));
        File.WriteAllBytes(Path.Combine(folder, "bad.png"), "not an image"u8.ToArray());
        return folder;
    });

    /// <summary>The CIFAR-10 folder (its test_batch.bin is each input).</summary>
    public static string Cifar() => CifarFolder.Value;

    /// <summary>The image folder: a.png, "b b.jpg", sub/c.bmp and bad.png (not an image).</summary>
    public static string Images() => ImageFolder.Value;
}
