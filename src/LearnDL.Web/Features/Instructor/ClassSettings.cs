using LearnDL.Web.Data;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Instructor;

/// <summary>
/// What the instructor switches about the class itself: starts from appsettings.json, and once
/// switched is kept in the database, so a restart mid-class does not close what was open.
/// </summary>
public sealed class ClassSettings(IOptions<LearnDLOptions> options, ClassStateStore state)
{
    public bool IsClassMode => options.Value.Class.IsOn;

    /// <summary>Whether students see the class comparison page.</summary>
    public bool ShowComparison => state.Current.ShowClassComparison ?? options.Value.Class.ShowClassComparison;

    public async Task SetShowComparisonAsync(bool show)
    {
        await state.SaveAsync(s => s.ShowClassComparison = show);
        Changed?.Invoke();
    }

    public event Action? Changed;
}
