using Microsoft.Extensions.Options;

namespace LearnDL.Web.RunService;

/// <summary>Where each run's trained model (an ML.NET model file) is kept: under the data folder, named by the run's id only.</summary>
public sealed class ModelFiles(IOptions<LearnDLOptions> options)
{
    private readonly string _folder = Path.Combine(options.Value.ResolvedDataFolder, "models");

    public string PathFor(Guid runId) => Path.Combine(_folder, $"{runId:N}.zip");

    public bool Exists(Guid runId) => File.Exists(PathFor(runId));

    /// <summary>The name a downloaded model gets: no user text in it.</summary>
    public static string DownloadName(Guid runId) => $"learndl-model-{runId.ToString()[..8]}.zip";
}
