using Microsoft.AspNetCore.Components;

namespace LearnDL.Web.Components.Layout;

/// <summary>Which of the menu's links is the page shown, matched as Blazor's NavLink matches: the whole path, or it and what lies under it.</summary>
public static class NavMenuLinks
{
    public static bool IsCurrent(NavigationManager navigation, string href, bool exact) =>
        IsCurrent(navigation.ToBaseRelativePath(navigation.Uri), href, exact);

    /// <param name="relativeUri">The page's address relative to the app's base ("lessons/cpu-and-gpu?x=1").</param>
    public static bool IsCurrent(string relativeUri, string href, bool exact)
    {
        var path = "/" + relativeUri.Split('?', '#')[0].Trim('/');
        var target = "/" + href.Trim('/');
        return string.Equals(path, target, StringComparison.OrdinalIgnoreCase)
               || (!exact && path.StartsWith(target.TrimEnd('/') + "/", StringComparison.OrdinalIgnoreCase));
    }
}
