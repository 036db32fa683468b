namespace LearnDL.Testing;

/// <summary>The checkout the tests run from: the folder above their build output that holds LearnDL.sln.</summary>
public static class Repository
{
    /// <summary>The repository's root, or null when the tests run outside a checkout.</summary>
    public static string? Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LearnDL.sln"))) dir = dir.Parent;
        return dir?.FullName;
    }

    public static string Root => Find() ?? throw new DirectoryNotFoundException("The repository root (LearnDL.sln) is not above the test's folder.");
}
