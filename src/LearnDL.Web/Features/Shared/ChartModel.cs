using Plotly.Blazor;

namespace LearnDL.Web.Features.Shared;

/// <summary>A chart's numbers as a table, for readers who cannot see the chart (or want the figures).</summary>
public sealed record ChartTable(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>
/// A chart: Plotly traces and layout, a one-sentence summary of what it shows, and its numbers as a
/// table. Build a new one to redraw; the key tells the view it changed.
/// </summary>
public sealed record ChartModel(string Key, IList<ITrace> Data, Layout Layout, string Summary, ChartTable Table);
