using LearnDL.Web.Features.Shared;

namespace LearnDL.Web.Tests;

public class DurationsTests
{
    [Theory]
    [InlineData(4.32, "4.3 s", "4.3 seconds")]
    [InlineData(104.6, "105 s", "104.6 seconds")]
    [InlineData(2520, "42 min", "42 minutes")]
    [InlineData(36_000, "10.0 h", "10.0 hours")]
    [InlineData(3 * 86400, "72.0 h", "3.0 days")]
    public void SaidShortInTables_AndInWordsInSentences(double seconds, string shortly, string inWords)
    {
        Assert.Equal(shortly, Durations.Short(seconds));
        Assert.Equal(inWords, Durations.InWords(seconds));
    }
}
