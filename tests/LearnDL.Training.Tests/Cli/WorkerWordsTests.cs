using LearnDL.Cli;
using LearnDL.Workers;

namespace LearnDL.Training.Tests;

/// <summary>What `learndl worker` says, in words rather than its Hangfire queue names.</summary>
public class WorkerWordsTests
{
    [Theory]
    [InlineData("cpu", new[] { "builtin", "fashion-mnist" }, "CPU runs, Fashion-MNIST ones too")]
    [InlineData("gpu", new[] { "builtin" }, "GPU runs (not Fashion-MNIST: no copy here)")]
    public void Worker_SaysWhatItServes_NotItsQueueNames(string device, string[] datasets, string expected) =>
        Assert.Equal(expected, JobsDatabase.ServesInWords(device, datasets));

    [Fact]
    public async Task GpuWorker_OnTheCpuBuild_RefusesInWords_NotWithAQueueName()
    {
        var stderr = new StringWriter();
        var code = await Cli.Cli.RunAsync(["worker", "--jobs", "Host=127.0.0.1;Port=1", "--device", "gpu", "--name", "t"], new StringWriter(), stderr, CancellationToken.None);
        Assert.Equal(ExitCodes.DeviceUnavailable, code);
        Assert.Contains("This worker cannot serve GPU runs.", stderr.ToString());
        Assert.DoesNotContain("queue", stderr.ToString());
    }
}
