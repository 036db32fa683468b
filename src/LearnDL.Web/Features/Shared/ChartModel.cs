using Plotly.Blazor;

namespace LearnDL.Web.Features.Shared;

/// <summary>A chart's traces and layout. Build a new one to redraw; the key tells the view it changed.</summary>
public sealed record ChartModel(string Key, IList<ITrace> Data, Layout Layout)
{
    public bool IsEmpty => Data.Count == 0;
}
