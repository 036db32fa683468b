namespace LearnDL.Web.RunService;

/// <summary>
/// A live chart's points, bounded however long the run: a point at most every interval, and when
/// the series is full every other point goes and the interval doubles. The last point is always kept.
/// </summary>
public sealed class ChartSeries(TimeSpan interval, int maxPoints = ChartSeries.DefaultMaxPoints)
{
    public const int DefaultMaxPoints = 120;

    private readonly List<ChartPoint> _points = [];
    private TimeSpan _interval = interval;
    private double _lastSeconds = double.NegativeInfinity;

    public int Count => _points.Count;

    public void Add(double seconds, double value, bool last = false)
    {
        if (!last && seconds - _lastSeconds < _interval.TotalSeconds) return;
        _lastSeconds = seconds;
        _points.Add(new(seconds, value));
        if (_points.Count <= maxPoints) return;
        for (int i = _points.Count - 2; i > 0; i -= 2) _points.RemoveAt(i);
        _interval *= 2;
    }

    public IReadOnlyList<ChartPoint> ToList() => [.. _points];
}
