using System.Buffers.Binary;
using System.IO.Compression;

namespace LearnDL.Training.Datasets;

/// <summary>Reads the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed.</summary>
public static class IdxReader
{
    public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels)
    {
        public byte[] Image(int index) => Pixels.AsSpan(index * Rows * Columns, Rows * Columns).ToArray();
    }

    public static byte[] ReadLabels(string path)
    {
        using var stream = Open(path);
        var dims = ReadHeader(stream, path, expectedDims: 1);
        return ReadExactly(stream, dims[0], path);
    }

    public static IdxImages ReadImages(string path)
    {
        using var stream = Open(path);
        var dims = ReadHeader(stream, path, expectedDims: 3);
        return new IdxImages(dims[0], dims[1], dims[2], ReadExactly(stream, checked(dims[0] * dims[1] * dims[2]), path));
    }

    private static Stream Open(string path)
    {
        var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        var gz = file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        return gz ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16) : file;
    }

    private static int[] ReadHeader(Stream stream, string path, int expectedDims)
    {
        var header = ReadExactly(stream, 4, path);
        // Magic: two zero bytes, 0x08 (unsigned byte data), then the number of dimensions.
        if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] != expectedDims)
            throw new InvalidDataException($"{Path.GetFileName(path)} is not an IDX file of {expectedDims}-dimensional unsigned bytes.");
        var dims = ReadExactly(stream, 4 * expectedDims, path);
        return Enumerable.Range(0, expectedDims).Select(i => BinaryPrimitives.ReadInt32BigEndian(dims.AsSpan(i * 4))).ToArray();
    }

    private static byte[] ReadExactly(Stream stream, int count, string path)
    {
        var buffer = new byte[count];
        try { stream.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw new InvalidDataException($"{Path.GetFileName(path)} is truncated."); }
        return buffer;
    }
}
