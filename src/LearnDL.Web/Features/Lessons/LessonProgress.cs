using System.Security.Cryptography;
using Microsoft.AspNetCore.Components.Server.ProtectedBrowserStorage;

namespace LearnDL.Web.Features.Lessons;

/// <summary>Which lessons this reader has opened, kept in their own browser (no account needed).</summary>
public sealed class LessonProgress(ProtectedLocalStorage storage)
{
    private const string Key = "learndl.lessons.read";

    /// <summary>Only callable after the first render (it needs the browser).</summary>
    public async Task<HashSet<string>> ReadAsync()
    {
        try
        {
            var stored = await storage.GetAsync<string[]>(Key);
            return stored.Success && stored.Value is { } slugs ? [.. slugs] : [];
        }
        catch (CryptographicException) { return []; } // written by another server's keys: start afresh
    }

    public async Task MarkReadAsync(string slug)
    {
        var read = await ReadAsync();
        if (read.Add(slug)) await storage.SetAsync(Key, read.ToArray());
    }
}
