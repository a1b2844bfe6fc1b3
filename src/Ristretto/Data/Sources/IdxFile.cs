using System.Buffers.Binary;
using Ristretto.IO;

namespace Ristretto.Data.Sources;

/// <summary>
/// Reads IDX files (the format of MNIST's distribution): a 4-byte magic (0, 0, type, rank), the
/// dimensions as big-endian int32, then the values. Only unsigned-byte data (type 0x08) is accepted.
/// Any deviation (wrong magic, a size that does not match the header, a truncated file) is a
/// <see cref="RistrettoException"/> naming the file.
/// </summary>
public static class IdxFile
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an unsigned-byte IDX tensor: its dimensions and values in row-major order.</summary>
    public static (int[] Shape, byte[] Data) Read(string path)
    {
        return Parse(InputFile.ReadAllBytes(path, "IDX file"), path);
    }

    /// <summary>Parses IDX content; <paramref name="name"/> is used in error messages.</summary>
    public static (int[] Shape, byte[] Data) Parse(byte[] bytes, string name)
    {
        if (bytes.Length < 4)
            throw new RistrettoException($"IDX file {name} is truncated: {bytes.Length} bytes, not even a header");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new RistrettoException($"{name} is not an IDX file (magic starts {bytes[0]:x2} {bytes[1]:x2}, expected 00 00)");
        if (bytes[2] != UnsignedByte)
            throw new RistrettoException($"IDX file {name} holds data type 0x{bytes[2]:x2}; only unsigned bytes (0x08) are supported");
        int rank = bytes[3];
        if (rank < 1 || rank > 4)
            throw new RistrettoException($"IDX file {name} has rank {rank}; expected 1 to 4");
        int header = 4 + 4 * rank;
        if (bytes.Length < header)
            throw new RistrettoException($"IDX file {name} is truncated inside its header ({bytes.Length} of {header} bytes)");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (d <= 0)
                throw new RistrettoException($"IDX file {name} has dimension {i} = {d}; dimensions must be positive");
            shape[i] = d;
            count *= d;
            if (count > bytes.Length) // before the next dimension can overflow the product into a size that fits
                throw new RistrettoException(
                    $"IDX file {name} is truncated: {bytes.Length:N0} bytes, its header's dimensions {string.Join("×", shape[..(i + 1)])} already need more");
        }
        long expected = header + count;
        if (bytes.Length < expected)
            throw new RistrettoException(
                $"IDX file {name} is truncated: {bytes.Length:N0} bytes, its header [{string.Join("×", shape)}] needs {expected:N0}");
        if (bytes.Length > expected)
            throw new RistrettoException(
                $"IDX file {name} has {bytes.Length - expected:N0} bytes more than its header [{string.Join("×", shape)}] describes");
        return (shape, bytes.AsSpan(header).ToArray());
    }

    /// <summary>Writes an unsigned-byte IDX file (used by tests and by users converting data).</summary>
    public static byte[] Encode(int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length)
            throw new ArgumentException($"shape holds {count} values but data has {data.Length}");
        var bytes = new byte[4 + 4 * shape.Length + data.Length];
        bytes[2] = UnsignedByte;
        bytes[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), shape[i]);
        data.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }
}
