using Microsoft.Extensions.Options;

namespace LearnDL.Web.RunService;

/// <summary>
/// Messages that leave the server name none of its folders: a run's error or a refusal may come from the
/// engine with a path in it (the data folder, an upload's folder, the app's own folder); each becomes words.
/// </summary>
public sealed class ServerPaths(IOptions<LearnDLOptions> options)
{
    private readonly (string Path, string Words)[] _folders =
    [
        .. new[]
        {
            (options.Value.UploadsFolder, "an uploaded dataset's folder"),
            (options.Value.ResolvedDataFolder, "the server's data folder"),
            (AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar), "the app's folder"),
        }.OrderByDescending(f => f.Item1.Length),
    ];

    public string Hide(string message)
    {
        foreach (var (path, words) in _folders)
        {
            // An upload's own folder (uploads/<id>/...) goes whole, so its id does not leak either.
            message = System.Text.RegularExpressions.Regex.Replace(message,
                System.Text.RegularExpressions.Regex.Escape(path) + @"(/[^\s,;:)'""]*)?", words);
        }
        return message;
    }
}
