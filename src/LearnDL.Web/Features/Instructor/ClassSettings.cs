using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Instructor;

/// <summary>What the instructor switches during a class; starts from appsettings.json, lasts until the server stops.</summary>
public sealed class ClassSettings(IOptions<LearnDLOptions> options)
{
    private volatile bool _showComparison = options.Value.Class.ShowClassComparison;

    public bool IsClassMode => options.Value.Class.IsOn;

    /// <summary>Whether students see the class comparison page.</summary>
    public bool ShowComparison
    {
        get => _showComparison;
        set { _showComparison = value; Changed?.Invoke(); }
    }

    public event Action? Changed;
}
