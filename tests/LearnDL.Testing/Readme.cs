namespace LearnDL.Testing;

/// <summary>
/// The README's code blocks that tests run as written, so the README cannot go stale silently: each such block
/// follows a line `&lt;!-- checked: (which test, and what it changes) --&gt;`.
/// </summary>
public static class Readme
{
    public static string PathInRepository() => Path.Combine(Repository.Root, "README.md");

    /// <summary>Every checked block's non-empty lines, in the README's order.</summary>
    public static List<List<string>> CheckedBlocks(string? path = null)
    {
        var lines = File.ReadAllLines(path ?? PathInRepository());
        var blocks = new List<List<string>>();
        for (int i = 0; i < lines.Length - 1; i++)
        {
            if (!lines[i].StartsWith("<!-- checked:", StringComparison.Ordinal) || !lines[i + 1].StartsWith("```", StringComparison.Ordinal)) continue;
            var block = new List<string>();
            for (i += 2; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
                if (lines[i].Trim() is { Length: > 0 } line) block.Add(line);
            blocks.Add(block);
        }
        return blocks;
    }
}
