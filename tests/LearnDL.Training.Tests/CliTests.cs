using System.Text.Json;
using LearnDL.Cli;

namespace LearnDL.Training.Tests;

/// <summary>The learndl command line, run in-process with its real engine.</summary>
[Collection("environment")]
public class CliTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public CliTests() => Environment.SetEnvironmentVariable("LearnDL__DataFolder", _temp.Path);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("LearnDL__DataFolder", null);
        _temp.Dispose();
    }

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await Cli.Cli.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Run_Json_PrintsExactlyOneDocumentWithTheContractFields()
    {
        var (code, stdout, stderr) = await Run("run", "--dataset", "builtin", "--images", "20", "--epochs", "2", "--device", "cpu", "--json");
        Assert.Equal(ExitCodes.Success, code);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        foreach (var field in new[] { "dataset", "images", "trainImages", "testImages", "device", "deviceReason", "runtimeBuild", "epochs",
                     "stages", "totalSeconds", "featurizeImagesPerSecond", "imagesPerSecond", "microAccuracy", "macroAccuracy", "classes",
                     "confusionMatrix", "skippedFiles" })
            Assert.True(root.TryGetProperty(field, out _), $"missing {field}");
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        Assert.Equal(2, root.GetProperty("epochs").GetArrayLength());
        var epoch = root.GetProperty("epochs")[0];
        foreach (var field in new[] { "epoch", "trainAccuracy", "trainLogLoss", "testAccuracy", "testLogLoss" })
            Assert.True(epoch.TryGetProperty(field, out _), $"missing epochs[].{field}");
        var stage = root.GetProperty("stages")[0];
        Assert.True(stage.TryGetProperty("name", out _) && stage.TryGetProperty("seconds", out _));
        Assert.Contains("epoch 1", stderr); // progress goes to stderr
    }

    [Theory]
    [InlineData("run", "--images", "lots")]
    [InlineData("run", "--epochs", "0")]
    [InlineData("run", "--device", "tpu")]
    [InlineData("run", "--colour", "red")]
    [InlineData("fly")]
    [InlineData("run", "--dataset", "imagenet")]
    public async Task BadArgumentsOrUnknownDataset_ExitWith2(params string[] args)
    {
        var (code, stdout, stderr) = await Run(args);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Empty(stdout);
        Assert.StartsWith("error:", stderr);
    }

    [Fact]
    public async Task Run_GpuOnCpuBuild_ExitsWith3AndTheRebuildCommand()
    {
        var (code, _, stderr) = await Run("run", "--device", "gpu", "--images", "20");
        Assert.Equal(ExitCodes.DeviceUnavailable, code);
        Assert.Contains("-p:RuntimeBuild=gpu", stderr);
    }

    [Fact]
    public async Task Doctor_Json_DescribesCpuAndCuda()
    {
        var (code, stdout, _) = await Run("doctor", "--json");
        Assert.Equal(0, code);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("logicalCores").GetInt32());
        Assert.Equal("cpu", root.GetProperty("runtimeBuild").GetString());
        Assert.False(root.GetProperty("cudaUsable").GetBoolean());
        Assert.Contains("CPU build", root.GetProperty("cudaStatus").GetString());
    }

    [Fact]
    public async Task Datasets_Json_ListsBuiltinAndFashionMnist()
    {
        var (code, stdout, _) = await Run("datasets", "--json");
        Assert.Equal(0, code);
        var names = JsonDocument.Parse(stdout).RootElement.EnumerateArray().Select(d => d.GetProperty("name").GetString()).ToList();
        Assert.Equal(["builtin", "fashion-mnist"], names);
    }

    [Fact]
    public async Task Bench_Json_GivesBothRatesAndTheirRatio()
    {
        var (code, stdout, _) = await Run("bench", "--images", "16", "--device", "cpu", "--json");
        Assert.Equal(0, code);
        var root = JsonDocument.Parse(stdout).RootElement;
        var a = root.GetProperty("runtimeOnlyImagesPerSecond").GetDouble();
        var b = root.GetProperty("pipelineImagesPerSecond").GetDouble();
        Assert.True(a > 0 && b > 0);
        Assert.Equal(b / a, root.GetProperty("ratio").GetDouble(), 6);
    }
}

[CollectionDefinition("environment", DisableParallelization = true)]
public class EnvironmentCollection;
