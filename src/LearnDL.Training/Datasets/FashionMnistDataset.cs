namespace LearnDL.Training.Datasets;

/// <summary>The real Fashion-MNIST (Zalando) IDX files: 28x28 grayscale clothing, 10 classes.</summary>
public sealed class FashionMnistDataset(string folder) : IImageDataset
{
    public const string Name = "fashion-mnist";
    public const string InstallHint =
        "Install it with: sudo apt-get install dataset-fashion-mnist (files land in /usr/share/datasets/fashion-mnist), " +
        "or put train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz in the folder set as LearnDL:FashionMnistFolder.";

    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private string? ImagesPath => Find("train-images-idx3-ubyte");
    private string? LabelsPath => Find("train-labels-idx1-ubyte");

    public DatasetInfo Info
    {
        get
        {
            const string title = "Fashion-MNIST";
            const string description = "Zalando's 28x28 grayscale photos of clothing in 10 classes: the real data the article's kind of experiment uses.";
            if (ImagesPath is null || LabelsPath is null)
                return new(Name, title, description, false, $"Fashion-MNIST files not found in {folder}. {InstallHint}", ClassNames, 0);
            try
            {
                return new(Name, title, description, true, null, ClassNames, IdxReader.ReadLabels(LabelsPath).Length);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return new(Name, title, description, false, $"Fashion-MNIST files in {folder} could not be read: {e.Message}", ClassNames, 0);
            }
        }
    }

    public DatasetSelection Select(int count, int seed, CancellationToken cancellationToken = default)
    {
        if (ImagesPath is not { } imagesPath || LabelsPath is not { } labelsPath)
            throw new DatasetException($"Fashion-MNIST is not installed: files not found in {folder}. {InstallHint}");
        var labels = IdxReader.ReadLabels(labelsPath);
        var images = IdxReader.ReadImages(imagesPath);
        if (images.Count != labels.Length)
            throw new DatasetException($"Fashion-MNIST files disagree: {images.Count} images but {labels.Length} labels.");
        var picked = StratifiedSampler.Subset(labels.Select(l => (int)l).ToArray(), count, seed);
        var name = Path.GetFileName(imagesPath);
        var samples = picked
            .Select(i => (ImageSample)new GrayImageSample(labels[i], $"{name}#{i}", images.Image(i), images.Columns, images.Rows))
            .ToList();
        return new(ClassNames, samples);
    }

    private string? Find(string stem) =>
        new[] { stem + ".gz", stem }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
}
