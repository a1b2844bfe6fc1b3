using Google.Protobuf;
using Ristretto.IO;
using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>Reads and writes Caffe's text files: nets (<c>NetParameter</c>) and solvers (<c>SolverParameter</c>).</summary>
internal static class CaffePrototxt
{
    /// <summary>Parses a net from text; positions of its layers go to <paramref name="map"/> if given.</summary>
    /// <exception cref="RistrettoException">The text is not a well-formed Caffe net (message names file, line and column).</exception>
    public static NetParameter ParseNet(string text, string fileName, TextSourceMap? map = null) =>
        TextFormatParser.Parse<NetParameter>(text, fileName, CaffeTextSchema.Options, map);

    /// <summary>Parses a solver from text.</summary>
    /// <exception cref="RistrettoException">The text is not a well-formed Caffe solver.</exception>
    public static SolverParameter ParseSolver(string text, string fileName) =>
        TextFormatParser.Parse<SolverParameter>(text, fileName, CaffeTextSchema.Options);

    /// <summary>Reads and parses the net in <paramref name="path"/>.</summary>
    public static NetParameter LoadNet(string path, TextSourceMap? map = null) =>
        ParseNet(ReadText(path), Path.GetFileName(path), map);

    /// <summary>Reads and parses the solver in <paramref name="path"/>.</summary>
    public static SolverParameter LoadSolver(string path) => ParseSolver(ReadText(path), Path.GetFileName(path));

    /// <summary>The text form of a net or solver, which <see cref="ParseNet"/>/<see cref="ParseSolver"/> read back equal.</summary>
    public static string Write(IMessage message) => TextFormatWriter.Write(message);

    /// <summary>Writes the text form of a net or solver to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, IMessage message) => AtomicFile.WriteText(path, Write(message));

    /// <summary>Reads a text file, turning a missing or unreadable file into one clear error.</summary>
    public static string ReadText(string path)
    {
        if (Directory.Exists(path))
            throw new RistrettoException($"{path} is a folder, not a prototxt file");
        if (!File.Exists(path))
            throw new RistrettoException($"prototxt file {path} does not exist");
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RistrettoException($"cannot read {path}: {e.Message}", e);
        }
    }
}
