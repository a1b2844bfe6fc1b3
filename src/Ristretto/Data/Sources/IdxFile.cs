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
        var header = ReadHeader(path);
        return (header.Shape, ReadValues(path, header, 0, checked((int)header.Count)));
    }

    /// <summary>
    /// Reads and checks an IDX file's header against the file's length, without reading its values: a large file
    /// (MNIST's 47 MB training images) then costs only the rows that are used (<see cref="ReadValues"/>).
    /// </summary>
    public static IdxHeader ReadHeader(string path)
    {
        InputFile.CheckReadable(path, "IDX file");
        try
        {
            using var handle = File.OpenHandle(path);
            long length = RandomAccess.GetLength(handle);
            var head = new byte[(int)Math.Min(length, 4 + 4 * 4)];
            RandomAccess.Read(handle, head, 0);
            return Header(head, length, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RistrettoException($"cannot read IDX file {path}: {e.Message}", e);
        }
    }

    /// <summary>Reads <paramref name="count"/> values of an IDX file from value <paramref name="first"/> on.</summary>
    public static byte[] ReadValues(string path, IdxHeader header, long first, int count)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (first < 0 || count < 0 || first + count > header.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"values {first}..{first + count} of {header.Count}");
        var values = new byte[count];
        try
        {
            using var handle = File.OpenHandle(path);
            for (int done = 0; done < count;)
            {
                int read = RandomAccess.Read(handle, values.AsSpan(done), header.Offset + first + done);
                if (read == 0)
                    throw new RistrettoException($"IDX file {path} is truncated: it ended while its values were read (changed while open?)");
                done += read;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RistrettoException($"cannot read IDX file {path}: {e.Message}", e);
        }
        return values;
    }

    /// <summary>Parses IDX content; <paramref name="name"/> is used in error messages.</summary>
    public static (int[] Shape, byte[] Data) Parse(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var header = Header(bytes, bytes.Length, name);
        return (header.Shape, bytes.AsSpan(header.Offset).ToArray());
    }

    /// <summary>
    /// Checks a header (<paramref name="head"/>: the file's first bytes, at least the header's when the file has them)
    /// against the file's <paramref name="length"/>.
    /// </summary>
    private static IdxHeader Header(ReadOnlySpan<byte> head, long length, string name)
    {
        if (length < 4)
            throw new RistrettoException($"IDX file {name} is truncated: {length} bytes, not even a header");
        if (head[0] != 0 || head[1] != 0)
            throw new RistrettoException($"{name} is not an IDX file (magic starts {head[0]:x2} {head[1]:x2}, expected 00 00)");
        if (head[2] != UnsignedByte)
            throw new RistrettoException($"IDX file {name} holds data type 0x{head[2]:x2}; only unsigned bytes (0x08) are supported");
        int rank = head[3];
        if (rank < 1 || rank > 4)
            throw new RistrettoException($"IDX file {name} has rank {rank}; expected 1 to 4");
        int header = 4 + 4 * rank;
        if (length < header)
            throw new RistrettoException($"IDX file {name} is truncated inside its header ({length} of {header} bytes)");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(head[(4 + 4 * i)..]);
            if (d <= 0)
                throw new RistrettoException($"IDX file {name} has dimension {i} = {d}; dimensions must be positive");
            shape[i] = d;
            count *= d;
            if (count > length) // before the next dimension can overflow the product into a size that fits
                throw new RistrettoException(
                    $"IDX file {name} is truncated: {length:N0} bytes, its header's dimensions {string.Join("×", shape[..(i + 1)])} already need more");
        }
        long expected = header + count;
        if (length < expected)
            throw new RistrettoException(
                $"IDX file {name} is truncated: {length:N0} bytes, its header [{string.Join("×", shape)}] needs {expected:N0}");
        if (length > expected)
            throw new RistrettoException(
                $"IDX file {name} has {length - expected:N0} bytes more than its header [{string.Join("×", shape)}] describes");
        return new IdxHeader(shape, header, count);
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

/// <summary>An IDX file's checked header: its dimensions, where the values start, and how many there are.</summary>
public sealed record IdxHeader(int[] Shape, int Offset, long Count);
