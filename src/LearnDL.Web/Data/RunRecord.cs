using System.ComponentModel.DataAnnotations.Schema;
using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Training.Precision;

namespace LearnDL.Web.Data;

public enum RunStatus { Queued, Running, Completed, Failed, Cancelled, Interrupted }

public static class RunStatusExtensions
{
    public static bool IsFinished(this RunStatus status) =>
        status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled or RunStatus.Interrupted;
}

/// <summary>A run as stored: what was asked, what happened, and the full result as JSON.</summary>
public sealed class RunRecord
{
    public Guid Id { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public RunStatus Status { get; set; }
    /// <summary>Who started it (a browser's learner, or a student). Those who joined it are <see cref="RunMember"/>s.</summary>
    public string OwnerId { get; set; } = "";

    public string Dataset { get; set; } = "";
    public int Images { get; set; }
    public int Epochs { get; set; }
    public string DeviceRequested { get; set; } = "auto";
    public int Seed { get; set; }
    /// <summary>"fp32" or "int8".</summary>
    public string Precision { get; set; } = "fp32";
    /// <summary>Set when runs were launched together (replay), to show them side by side.</summary>
    public string? Group { get; set; }
    /// <summary>A preset that others may join while it is queued or running.</summary>
    public bool Shared { get; set; }
    /// <summary>Started by the instructor for the whole class to watch: every student may see it.</summary>
    public bool ClassDemo { get; set; }

    /// <summary>
    /// The settings it was asked with, kept in the columns above (Dataset, Images, Epochs, DeviceRequested, Seed,
    /// Shared); null when its stored device is not one this server knows.
    /// </summary>
    [NotMapped]
    public RunSettings? Settings
    {
        get => DeviceNames.TryParse(DeviceRequested, out var device) && NetworkPrecisions.TryParse(Precision, out var precision)
            ? new() { Dataset = Dataset, Images = Images, Epochs = Epochs, Device = device, Seed = Seed, Shared = Shared, Precision = precision }
            : null;
        init
        {
            if (value is null) return;
            (Dataset, Images, Epochs, DeviceRequested, Seed, Shared, Precision) =
                (value.Dataset, value.Images, value.Epochs, value.Device.ToId(), value.Seed, value.Shared, value.Precision.ToId());
        }
    }

    public string? Device { get; set; }
    public string? DeviceReason { get; set; }
    /// <summary>Where it ran: "local" (the web app's own process) or the worker machine's name.</summary>
    public string? Worker { get; set; }
    public string? RuntimeBuild { get; set; }
    public string? Error { get; set; }
    public double? TotalSeconds { get; set; }
    public double? FeaturizeSeconds { get; set; }
    public double? ImagesPerSecond { get; set; }
    public double? FeaturizeImagesPerSecond { get; set; }
    public double? Accuracy { get; set; }
    /// <summary>Seconds per stage (small), so lists and comparisons need not read the result.</summary>
    public string? StagesJson { get; set; }
    /// <summary>The engine's RunResult, serialised.</summary>
    public string? ResultJson { get; set; }
    /// <summary>Base64 PNG thumbnails of the example predictions, in their order.</summary>
    public string? ThumbnailsJson { get; set; }
    /// <summary>The live charts' points (throughput and images done over time), for replaying a finished run.</summary>
    public string? SeriesJson { get; set; }

    public bool IsFinished => Status.IsFinished();
}

/// <summary>An owner who joined a shared run with an identical request.</summary>
public sealed class RunMember
{
    public Guid RunId { get; set; }
    public string OwnerId { get; set; } = "";
    public DateTimeOffset JoinedAt { get; set; }
}
