using System.Runtime.InteropServices;
using Ristretto.Interchange.Onnx.Proto;
using static TorchSharp.torch;
using DataType = Ristretto.Interchange.Onnx.Proto.TensorProto.Types.DataType;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>Converts TensorProto contents (typed fields or little-endian raw_data) to arrays and tensors.</summary>
internal static class OnnxTensors
{
    /// <summary>The tensor's values as float32, whatever its numeric type.</summary>
    public static (long[] Shape, float[] Values) ReadFloats(TensorProto t, string source)
    {
        var shape = Shape(t, source);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        float[] values = (DataType)t.DataType switch
        {
            DataType.Float => t.RawData.Length > 0 ? Raw<float>(t, count, source) : [.. t.FloatData],
            DataType.Double => (t.RawData.Length > 0 ? Raw<double>(t, count, source) : [.. t.DoubleData]).Select(v => (float)v).ToArray(),
            _ => ReadLongs(t, source).Values.Select(v => (float)v).ToArray(),
        };
        Check(t, values.Length, count, source);
        return (shape, values);
    }

    /// <summary>The tensor's values as int64 (integer and boolean types).</summary>
    public static (long[] Shape, long[] Values) ReadLongs(TensorProto t, string source)
    {
        var shape = Shape(t, source);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        bool raw = t.RawData.Length > 0;
        long[] values = (DataType)t.DataType switch
        {
            DataType.Int64 => raw ? Raw<long>(t, count, source) : [.. t.Int64Data],
            DataType.Int32 => raw ? Raw<int>(t, count, source).Select(v => (long)v).ToArray() : t.Int32Data.Select(v => (long)v).ToArray(),
            DataType.Int16 => raw ? Raw<short>(t, count, source).Select(v => (long)v).ToArray() : t.Int32Data.Select(v => (long)v).ToArray(),
            DataType.Int8 => raw ? Raw<sbyte>(t, count, source).Select(v => (long)v).ToArray() : t.Int32Data.Select(v => (long)v).ToArray(),
            DataType.Uint8 or DataType.Bool => raw ? Raw<byte>(t, count, source).Select(v => (long)v).ToArray() : t.Int32Data.Select(v => (long)v).ToArray(),
            DataType.Uint16 => raw ? Raw<ushort>(t, count, source).Select(v => (long)v).ToArray() : t.Int32Data.Select(v => (long)v).ToArray(),
            DataType.Int4 or DataType.Uint4 => Nibbles(t, count, source, (DataType)t.DataType == DataType.Int4),
            DataType.Uint64 or DataType.Uint32 => raw ? Raw<ulong>(t, count, source).Select(v => (long)v).ToArray() : t.Uint64Data.Select(v => (long)v).ToArray(),
            _ => throw new RistrettoException($"{source}: tensor '{t.Name}' has data type {(DataType)t.DataType}, which this version does not read"),
        };
        Check(t, values.Length, count, source);
        return (shape, values);
    }

    /// <summary>A tensor holding the proto's values: float32 for floating types, int64 for integers (caller's scope).</summary>
    public static Tensor ToTensor(TensorProto t, string source)
    {
        var type = (DataType)t.DataType;
        if (type is DataType.Float or DataType.Double)
        {
            var (shape, values) = ReadFloats(t, source);
            return tensor(values, shape);
        }
        var (ishape, ivalues) = ReadLongs(t, source);
        return tensor(ivalues, ishape);
    }

    /// <summary>4-bit values, two a byte, the first in the low nibble (raw_data or int32_data), sign-extended for int4.</summary>
    private static long[] Nibbles(TensorProto t, long count, string source, bool signed)
    {
        byte[] bytes = t.RawData.Length > 0 ? t.RawData.ToByteArray() : t.Int32Data.Select(v => (byte)v).ToArray();
        if (bytes.Length != (count + 1) / 2)
            throw new RistrettoException($"{source}: tensor '{t.Name}' holds {bytes.Length} bytes of 4-bit data, its shape [{string.Join("×", t.Dims)}] needs {(count + 1) / 2}");
        var values = new long[count];
        for (long i = 0; i < count; i++)
        {
            int nibble = (bytes[i / 2] >> (int)(4 * (i % 2))) & 0xF;
            values[i] = signed && nibble >= 8 ? nibble - 16 : nibble;
        }
        return values;
    }

    private static long[] Shape(TensorProto t, string source)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
            throw new RistrettoException($"{source}: tensor '{t.Name}' keeps its data in an external file, which this version does not read (save the model with its data inside)");
        if (t.Dims.Any(d => d < 0))
            throw new RistrettoException($"{source}: tensor '{t.Name}' has a negative dimension [{string.Join("×", t.Dims)}]");
        return [.. t.Dims];
    }

    private static T[] Raw<T>(TensorProto t, long count, string source) where T : unmanaged
    {
        var bytes = t.RawData.Span;
        if (bytes.Length != count * Marshal.SizeOf<T>())
            throw new RistrettoException($"{source}: tensor '{t.Name}' holds {bytes.Length} bytes of data, its shape [{string.Join("×", t.Dims)}] needs {count * Marshal.SizeOf<T>()}");
        // ONNX stores raw data little-endian, as this machine does.
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    private static void Check(TensorProto t, long actual, long expected, string source)
    {
        if (actual != expected)
            throw new RistrettoException($"{source}: tensor '{t.Name}' holds {actual} values, its shape [{string.Join("×", t.Dims)}] needs {expected}");
    }
}
