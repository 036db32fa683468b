namespace LearnDL.Training.Datasets;

/// <summary>What the catalog says of a dataset: whether it can be used, its classes and size.</summary>
public sealed record DatasetInfo(
    string Name,
    string Title,
    string Description,
    bool Available,
    string? UnavailableReason,
    IReadOnlyList<string> ClassNames,
    int ImageCount);

/// <summary>A dataset cannot be used as asked: unknown, unavailable, empty, one class, outside allowed roots.</summary>
public sealed class DatasetException(string message) : Exception(message);

/// <summary>The images a run will use, with the class names they index into.</summary>
public sealed record DatasetSelection(IReadOnlyList<string> ClassNames, IReadOnlyList<ImageSample> Samples);

/// <summary>A source of labelled images.</summary>
public interface IImageDataset
{
    DatasetInfo Info { get; }

    /// <summary>A stratified, seed-reproducible subset of <paramref name="count"/> images.</summary>
    DatasetSelection Select(int count, int seed, CancellationToken cancellationToken = default);
}
