using System.Text;

namespace LearnDL.Training.Featurization;

/// <summary>The few protobuf wire-format writes the ONNX model code needs (length-delimited fields and varints).</summary>
internal static class Protobuf
{
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
