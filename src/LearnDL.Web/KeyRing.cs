using Microsoft.AspNetCore.DataProtection;

namespace LearnDL.Web;

/// <summary>
/// The keys that sign the owner cookie and the forms' antiforgery tokens, kept in the data folder
/// under a fixed application name. Left to the host they live in memory in a container, or are tied
/// to the publish folder: a restart or a redeploy would void every student's cookie, and rejoining
/// under the same name is then refused as taken, which cuts a student off from their runs.
/// </summary>
public static class KeyRing
{
    public const string ApplicationName = "LearnDL";

    public static string FolderIn(string dataFolder) => Path.Combine(dataFolder, "keys");

    public static IServiceCollection AddPersistentKeys(this IServiceCollection services, IConfiguration configuration)
    {
        var dataFolder = (configuration.GetSection(LearnDLOptions.Section).Get<LearnDLOptions>() ?? new()).ResolvedDataFolder;
        var keys = FolderIn(dataFolder);
        // The keys are stored as plain XML: only the app's own user may read them.
        var folder = OperatingSystem.IsWindows() ? Directory.CreateDirectory(keys)
            : Directory.CreateDirectory(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        services.AddDataProtection().SetApplicationName(ApplicationName).PersistKeysToFileSystem(folder);
        return services;
    }
}
