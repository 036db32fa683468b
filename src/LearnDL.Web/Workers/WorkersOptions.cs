namespace LearnDL.Web.Workers;

/// <summary>Where runs execute: "LearnDL:Workers" in appsettings.json, and "ConnectionStrings:Jobs" for PostgreSQL.</summary>
public sealed class WorkersOptions
{
    public const string Section = "LearnDL:Workers";
    public const string InProcess = "in-process";
    public const string Postgres = "postgres";

    /// <summary>in-process (the default: runs execute in this app) or postgres (runs go to `learndl worker` machines through Hangfire).</summary>
    public string Engine { get; set; } = InProcess;

    public bool IsRemote => Engine.Equals(Postgres, StringComparison.OrdinalIgnoreCase);

    /// <summary>Problems with these settings, in the instructor's words.</summary>
    public IReadOnlyList<string> Problems(string? jobsConnection)
    {
        if (!Engine.Equals(InProcess, StringComparison.OrdinalIgnoreCase) && !IsRemote)
            return [$"LearnDL:Workers:Engine must be '{InProcess}' or '{Postgres}'; got '{Engine}'."];
        if (IsRemote && string.IsNullOrWhiteSpace(jobsConnection))
            return ["LearnDL:Workers:Engine is 'postgres', so ConnectionStrings:Jobs must name the PostgreSQL database the workers share (environment ConnectionStrings__Jobs)."];
        return [];
    }
}
