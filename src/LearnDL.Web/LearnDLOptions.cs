using LearnDL.Training.Datasets;
using Microsoft.Extensions.Options;

namespace LearnDL.Web;

/// <summary>Everything a class server needs, from the "LearnDL" section of appsettings.json.</summary>
public sealed class LearnDLOptions
{
    public const string Section = "LearnDL";

    /// <summary>Database, generated datasets and saved models. Empty means ~/.local/share/learndl.</summary>
    public string DataFolder { get; set; } = "";
    public string FashionMnistFolder { get; set; } = "/usr/share/datasets/fashion-mnist";
    /// <summary>Folders whose subfolders (one subfolder per class) are offered as datasets; nothing outside them is.</summary>
    public List<string> FolderRoots { get; set; } = [];
    public int MaxConcurrentCpuRuns { get; set; } = 1;
    /// <summary>A GPU serves one run at a time: two would fight over its memory and skew both timings.</summary>
    public int MaxConcurrentGpuRuns { get; set; } = 1;
    public int MaxImagesPerRun { get; set; } = 5000;
    public int MaxEpochs { get; set; } = 20;
    /// <summary>Runs waiting or running on the whole server: enough for a class, each with a run or two.</summary>
    public int MaxQueuedRuns { get; set; } = 100;
    /// <summary>Runs one person (a browser session, or a student) may have waiting or running at once.</summary>
    public int MaxQueuedRunsPerOwner { get; set; } = 3;
    /// <summary>A Try-it requested while an identical one is queued or running joins it instead of queueing a copy.</summary>
    public bool ShareIdenticalRuns { get; set; } = true;

    /// <summary>Largest image a learner may upload to classify with a run's model.</summary>
    public long MaxUploadImageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>GPU prices for lesson 8's calculator; lessons call them examples.</summary>
    public List<LearnDL.Web.Features.Lessons.Demos.GpuPrice> GpuPrices { get; set; } = [];

    public string ResolvedDataFolder => string.IsNullOrWhiteSpace(DataFolder) ? DatasetOptions.DefaultDataFolder : Path.GetFullPath(DataFolder);

    public DatasetOptions ToDatasetOptions() => new()
    {
        DataFolder = ResolvedDataFolder,
        FashionMnistFolder = FashionMnistFolder,
        // With no roots configured, the web app offers no folder datasets at all (unlike the CLI).
        FolderRoots = FolderRoots.Count > 0 ? FolderRoots : [Path.Combine(ResolvedDataFolder, "folders")],
    };
}

/// <summary>Fails start-up on settings that would only break mid-class.</summary>
public sealed class ValidateLearnDLOptions : IValidateOptions<LearnDLOptions>
{
    public ValidateOptionsResult Validate(string? name, LearnDLOptions options)
    {
        var errors = new List<string>();
        if (options.MaxConcurrentCpuRuns < 1) errors.Add("LearnDL:MaxConcurrentCpuRuns must be at least 1.");
        if (options.MaxConcurrentGpuRuns < 1) errors.Add("LearnDL:MaxConcurrentGpuRuns must be at least 1.");
        if (options.MaxImagesPerRun < 4) errors.Add("LearnDL:MaxImagesPerRun must be at least 4.");
        if (options.MaxQueuedRuns < 1) errors.Add("LearnDL:MaxQueuedRuns must be at least 1.");
        if (options.MaxQueuedRunsPerOwner < 1) errors.Add("LearnDL:MaxQueuedRunsPerOwner must be at least 1.");
        if (options.MaxEpochs is < 1 or > LearnDL.Training.Training.RunOptions.MaxEpochs)
            errors.Add($"LearnDL:MaxEpochs must be between 1 and {LearnDL.Training.Training.RunOptions.MaxEpochs}.");
        var models = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        if (!File.Exists(models)) errors.Add($"The pretrained model {models} is missing; rebuild the app.");
        return errors.Count > 0 ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
