namespace LearnDL.Web.Reconnection;

/// <summary>
/// How a page gets its connection back after the server or the network went away (LearnDL:Reconnect).
/// wwwroot/js/reconnection.js reads these from the page: it keeps trying, each wait about twice the last
/// up to <see cref="MaxRetrySeconds"/>, each drawn at random between half and all of it, so a class's
/// pages do not all come back in the same second; it never gives up.
/// </summary>
public sealed class ReconnectOptions
{
    /// <summary>The wait before the first try: at most this, at least half of it.</summary>
    public double FirstRetrySeconds { get; set; } = 1;

    /// <summary>
    /// The longest wait between two tries. After an outage of any length a page is back within about this
    /// long of the server answering, and 300 pages reach it spread over half of it.
    /// </summary>
    public double MaxRetrySeconds { get; set; } = 15;

    /// <summary>
    /// When the server answers but no longer knows the page's connection (it was restarted), the page
    /// reloads itself after a random wait of up to this long.
    /// </summary>
    public double ReloadJitterSeconds { get; set; } = 2;

    public IEnumerable<string> Problems()
    {
        if (FirstRetrySeconds is < 0.05 or > 600 or double.NaN) yield return "LearnDL:Reconnect:FirstRetrySeconds must be between 0.05 and 600.";
        if (MaxRetrySeconds is > 3600 or double.NaN || MaxRetrySeconds < FirstRetrySeconds)
            yield return "LearnDL:Reconnect:MaxRetrySeconds must be at least FirstRetrySeconds and at most 3600.";
        if (ReloadJitterSeconds is < 0 or > 600 or double.NaN) yield return "LearnDL:Reconnect:ReloadJitterSeconds must be between 0 and 600.";
    }

    /// <summary>Milliseconds, as the page's script reads them.</summary>
    public static string Milliseconds(double seconds) => Math.Round(seconds * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
