using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using LearnDL.Training.Runs;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace LearnDL.Web.Features.Runs;

/// <summary>What classifying an uploaded image gave: the classes from most to least likely, or why not.</summary>
public sealed record ClassifyOutcome(IReadOnlyList<ClassScore>? Scores, string? Problem, string? ThumbnailPng = null, Likeness? Likeness = null)
{
    public static ClassifyOutcome Refused(string problem) => new(null, problem);
}

/// <summary>
/// Puts a finished run's model to work on an image a learner uploads. The image is checked (bytes,
/// then the pixels its header declares, then that it decodes) and classified off the page's
/// circuit, with the network every run already uses, through a <see cref="ClassifyBudget"/>: one at a
/// time per person, a few a minute, its memory (the upload, the picture's declared pixels at 4 bytes
/// each, the model when it must be loaded) counted against a bound, and few at once on the server.
/// Models stay loaded for the next picture (<see cref="LoadedModels"/>).
/// </summary>
public sealed class RunClassifier(ModelFiles models, NetworkCache networks, IOptions<LearnDLOptions> options, TimeProvider time) : IDisposable
{
    private readonly ClassifyBudget _budget = new(options.Value.Classify, time);

    /// <summary>Models kept loaded, least recently used let go.</summary>
    public LoadedModels Models { get; } = new(options.Value.Classify.CachedModels);

    public long MaxBytes => options.Value.MaxUploadImageBytes;

    private SafeImageDecoder Limits => new(options.Value.MaxImagePixels);

    /// <summary>The pixel limit as people say it: "40 megapixels".</summary>
    public string MaxPicture => $"{options.Value.MaxImagePixels / 1e6:#,0.#} megapixels";

    /// <summary>The limit as people say it.</summary>
    public string MaxSize => Sizes.Megabytes(MaxBytes);

    public async Task<ClassifyOutcome> ClassifyAsync(Guid runId, Stream image, long length, RunOwner owner, CancellationToken cancellationToken = default)
    {
        if (length > MaxBytes)
            return ClassifyOutcome.Refused($"That file is {Sizes.Megabytes(length)}; images up to {MaxSize} can be classified here (MaxUploadImageBytes).");
        if (!models.Exists(runId))
            return ClassifyOutcome.Refused("This run's trained model is gone (its file was deleted from the data folder), so it cannot classify. Run it again to train a new one.");
        var (ticket, busy) = _budget.Begin(owner.Id);
        if (ticket is null) return ClassifyOutcome.Refused(busy!);
        using (ticket)
        {
            // The upload is counted before it is read, at the size it says it has; anything beyond is counted as it comes.
            var declared = Math.Clamp(length, 0, MaxBytes);
            if (ticket.Hold(declared, "That file") is { } noRoom) return ClassifyOutcome.Refused(noRoom);
            using var buffer = new MemoryStream();
            await image.CopyToAsync(buffer, cancellationToken);
            if (buffer.Length > MaxBytes) return ClassifyOutcome.Refused($"That file is larger than {MaxSize}.");
            if (buffer.Length > declared && ticket.Hold(buffer.Length - declared, "That file") is { } noMore) return ClassifyOutcome.Refused(noMore);

            // The header is checked before anything is decoded: a pixel bomb is refused here, costing nothing.
            var encoded = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
            var (_, size, _, problem) = Limits.Measure(encoded.Span);
            if (problem is not null) return Refusal(problem);
            var model = models.PathFor(runId);
            var modelBytes = Models.Contains(runId) ? 0 : new FileInfo(model).Length;
            if (ticket.Hold(4L * size.Width * size.Height + modelBytes, "That picture") is { } tooLarge) return ClassifyOutcome.Refused(tooLarge);
            if (await ticket.WaitForTurnAsync(cancellationToken) is { } wait) return ClassifyOutcome.Refused(wait);
            try
            {
                return await Task.Run(() =>
                {
                    var (decoded, problem) = Limits.Decode(encoded.Span);
                    using var bitmap = decoded;
                    if (bitmap is null) return Refusal(problem!);
                    var (scores, likeness) = Models.Use(runId,
                        () => ImageClassifier.Load(model, networks.Get(ComputeDevice.Cpu, FeaturizeParallelism.For(ComputeDevice.Cpu).ThreadsPerCall)),
                        classifier => classifier.Examine(bitmap));
                    return new ClassifyOutcome(scores, null, Thumbnail(bitmap), likeness);
                }, cancellationToken);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException)
            {
                return ClassifyOutcome.Refused($"This run's model could not be read: {e.Message}");
            }
        }
    }

    private static ClassifyOutcome Refusal(string problem) => ClassifyOutcome.Refused(problem == SafeImageDecoder.NotAPicture
        ? "That file is not an image LearnDL can read. Try a JPEG, PNG, BMP, GIF or WebP picture."
        : $"That picture {problem}");

    public void Dispose() => Models.Dispose();

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
