using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using LearnDL.Training.Training;
using LearnDL.Web.Datasets;
using LearnDL.Web.RunService;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace LearnDL.Web.Features.Runs;

/// <summary>What classifying an uploaded image gave: the classes from most to least likely, or why not.</summary>
public sealed record ClassifyOutcome(IReadOnlyList<ClassScore>? Scores, string? Problem, string? ThumbnailPng = null)
{
    public static ClassifyOutcome Refused(string problem) => new(null, problem);
}

/// <summary>
/// Puts a finished run's model to work on an image a learner uploads. The image is checked (bytes,
/// then the pixels its header declares, then that it decodes) and classified off the page's
/// circuit, with the network every run already uses; at most as many at once as there are cores.
/// </summary>
public sealed class RunClassifier(ModelFiles models, NetworkCache networks, IOptions<LearnDLOptions> options)
{
    private readonly SemaphoreSlim _gate = new(Environment.ProcessorCount);

    public long MaxBytes => options.Value.MaxUploadImageBytes;

    private SafeImageDecoder Limits => new(options.Value.MaxImagePixels);

    /// <summary>The pixel limit as people say it: "40 megapixels".</summary>
    public string MaxPicture => $"{options.Value.MaxImagePixels / 1e6:#,0.#} megapixels";

    /// <summary>The limit as people say it.</summary>
    public string MaxSize => Sizes.Megabytes(MaxBytes);

    public async Task<ClassifyOutcome> ClassifyAsync(Guid runId, Stream image, long length, CancellationToken cancellationToken = default)
    {
        if (length > MaxBytes)
            return ClassifyOutcome.Refused($"That file is {Sizes.Megabytes(length)}; images up to {MaxSize} can be classified here (MaxUploadImageBytes).");
        if (!models.Exists(runId))
            return ClassifyOutcome.Refused("This run's trained model is gone (its file was deleted from the data folder), so it cannot classify. Run it again to train a new one.");
        using var buffer = new MemoryStream();
        await image.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length > MaxBytes) return ClassifyOutcome.Refused($"That file is larger than {MaxSize}.");

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() =>
            {
                // The header is checked before anything is decoded: a pixel bomb is refused here, costing nothing.
                var (decoded, problem) = Limits.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
                using var bitmap = decoded;
                if (bitmap is null)
                    return ClassifyOutcome.Refused(problem == SafeImageDecoder.NotAPicture
                        ? "That file is not an image LearnDL can read. Try a JPEG, PNG, BMP, GIF or WebP picture."
                        : $"That picture {problem}");
                using var classifier = ImageClassifier.Load(models.PathFor(runId), networks.Get(ComputeDevice.Cpu, FeaturizeParallelism.For(ComputeDevice.Cpu).ThreadsPerCall));
                return new ClassifyOutcome(classifier.Classify(bitmap), null, Thumbnail(bitmap));
            }, cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException)
        {
            return ClassifyOutcome.Refused($"This run's model could not be read: {e.Message}");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A small PNG of the upload to show beside the answer: the page never sends the whole file back.</summary>
    private static string Thumbnail(SKBitmap image)
    {
        var scale = 128.0 / Math.Max(image.Width, image.Height);
        var info = new SKImageInfo(Math.Max(1, (int)(image.Width * Math.Min(scale, 1))), Math.Max(1, (int)(image.Height * Math.Min(scale, 1))));
        using var small = image.Resize(info, SKFilterQuality.Medium) ?? image.Copy();
        using var data = small.Encode(SKEncodedImageFormat.Png, 100);
        return Convert.ToBase64String(data.ToArray());
    }
}
