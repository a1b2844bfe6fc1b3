using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// A TorchScript module archive written by hand (the zip <c>torch.jit.save</c> writes: <c>version</c>, a pickled module
/// object in <c>data.pkl</c> with no attributes but <c>training</c>, an empty <c>constants.pkl</c> and the class's
/// source in <c>code/__torch__.py</c>), loaded with <c>torch.jit.load</c>. Unlike <c>torch.jit.compile</c>, the
/// archive importer resolves <c>ops.NAMESPACE.OP</c>, so its code can call libtorch ops outside <c>aten</c>, such as
/// <c>ops.mkldnn._convolution_pointwise</c>. Prototype for <see cref="JitConvBenchmark"/>.
/// </summary>
internal static class ScriptArchive
{
    /// <summary>Loads a module of class <c>M</c> whose methods are <paramref name="methods"/> (TorchScript, indented by 2, each taking <c>self</c>).</summary>
    public static jit.ScriptModule Load(string methods)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ristretto-jit-{Environment.ProcessId}-{Guid.NewGuid():N}.pt");
        try
        {
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
            {
                void Entry(string name, byte[] bytes)
                {
                    var e = zip.CreateEntry("archive/" + name, CompressionLevel.NoCompression);
                    using var s = e.Open();
                    s.Write(bytes);
                }
                Entry("version", Encoding.ASCII.GetBytes("3\n"));
                Entry("constants.pkl", [0x80, 0x02, (byte)')', (byte)'.']);
                Entry("data.pkl", ModulePickle());
                Entry("code/__torch__.py", Encoding.UTF8.GetBytes(
                    "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n" + methods));
            }
            return jit.load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Pickle (protocol 2) of an object of class <c>__torch__.M</c> whose state is <c>{"training": False}</c>.</summary>
    private static byte[] ModulePickle()
    {
        var b = new List<byte> { 0x80, 0x02 };
        b.AddRange(Encoding.ASCII.GetBytes("c__torch__\nM\n"));
        b.Add((byte)')');      // EMPTY_TUPLE
        b.Add(0x81);           // NEWOBJ
        b.Add((byte)'}');      // EMPTY_DICT
        b.Add((byte)'X');      // BINUNICODE "training"
        b.AddRange(BitConverter.GetBytes(8));
        b.AddRange(Encoding.ASCII.GetBytes("training"));
        b.Add(0x89);           // NEWFALSE
        b.Add((byte)'s');      // SETITEM
        b.Add((byte)'b');      // BUILD
        b.Add((byte)'.');      // STOP
        return [.. b];
    }
}
