using System.Text;

namespace LearnDL.Training.Featurization;

/// <summary>The few protobuf wire-format reads and writes the ONNX model code needs (fields, length-delimited values, varints).</summary>
internal static class Protobuf
{
    /// <summary>One field of a message: its number, wire type, and where it and its value lie in the buffer.</summary>
    public readonly record struct Field(int Number, int Wire, int Start, int ValueStart, int End)
    {
        public ReadOnlySpan<byte> Value(byte[] source) => source.AsSpan(ValueStart, End - ValueStart);
        public ReadOnlySpan<byte> Whole(byte[] source) => source.AsSpan(Start, End - Start);
    }

    /// <summary>The top-level fields of a message, in order.</summary>
    public static List<Field> Fields(byte[] data)
    {
        var fields = new List<Field>();
        int p = 0;
        while (p < data.Length)
        {
            int start = p;
            ulong tag = ReadVarint(data, ref p);
            int wire = (int)(tag & 7), valueStart = p;
            switch (wire)
            {
                case 0: ReadVarint(data, ref p); break;
                case 1: p += 8; break;
                case 5: p += 4; break;
                case 2:
                    int length = checked((int)ReadVarint(data, ref p));
                    valueStart = p;
                    p += length;
                    break;
                default: throw new InvalidDataException($"Unsupported protobuf wire type {wire} in the ONNX model.");
            }
            if (p > data.Length) throw new InvalidDataException("The ONNX model is truncated.");
            fields.Add(new Field((int)(tag >> 3), wire, start, valueStart, p));
        }
        return fields;
    }

    /// <summary>A varint field's value.</summary>
    public static long Varint(ReadOnlySpan<byte> value)
    {
        var bytes = value.ToArray();
        int p = 0;
        return (long)ReadVarint(bytes, ref p);
    }

    /// <summary>The values of a packed repeated varint field.</summary>
    public static List<long> Varints(ReadOnlySpan<byte> value)
    {
        var bytes = value.ToArray();
        var values = new List<long>();
        for (int p = 0; p < bytes.Length;) values.Add((long)ReadVarint(bytes, ref p));
        return values;
    }

    public static void WriteFixed32(Stream output, int number, uint value)
    {
        WriteVarint(output, ((ulong)number << 3) | 5);
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        output.Write(bytes);
    }

    private static ulong ReadVarint(byte[] data, ref int p)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[p++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
    }

    public static void WriteMessage(Stream output, int number, ReadOnlySpan<byte> value)
    {
        WriteVarint(output, ((ulong)number << 3) | 2);
        WriteVarint(output, (ulong)value.Length);
        output.Write(value);
    }

    public static void WriteMessage(Stream output, int number, Action<Stream> write)
    {
        using var message = new MemoryStream();
        write(message);
        WriteMessage(output, number, message.ToArray());
    }

    public static void WriteString(Stream output, int number, string value) => WriteMessage(output, number, Encoding.UTF8.GetBytes(value));

    public static void WriteInt(Stream output, int number, long value)
    {
        WriteVarint(output, (ulong)number << 3);
        WriteVarint(output, (ulong)value);
    }

    private static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }
}
