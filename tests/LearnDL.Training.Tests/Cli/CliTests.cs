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

    /// <summary>stderr without the line every command starts with ("learndl run: ..."), where there is one.</summary>
    private static string AfterFirstLine(string stderr) =>
        stderr.StartsWith("learndl ", StringComparison.Ordinal) ? stderr[(stderr.IndexOf('\n') + 1)..] : stderr;

    /// <summary>The command line as one terminal shows it: stdout and stderr interleaved in the order written.</summary>
    private sealed class Terminal
    {
        private readonly Lock _lock = new();
        private readonly System.Text.StringBuilder _all = new(), _out = new(), _err = new();
        public Terminal() { Out = new Pipe(this, _out); Err = new Pipe(this, _err); }
        public TextWriter Out { get; }
        public TextWriter Err { get; }
        public string All { get { lock (_lock) return _all.ToString(); } }
        public string StdOut { get { lock (_lock) return _out.ToString(); } }
        public string FirstLine => All.Split('\n')[0];

        private sealed class Pipe(Terminal terminal, System.Text.StringBuilder own) : TextWriter
        {
            public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
            public override void Write(char value)
            {
                lock (terminal._lock) { own.Append(value); terminal._all.Append(value); }
            }
        }
    }

    private static async Task<(int Code, Terminal Terminal)> RunInTerminal(params string[] args)
    {
        var terminal = new Terminal();
        return (await Cli.Cli.RunAsync(args, terminal.Out, terminal.Err, CancellationToken.None), terminal);
    }

    /// <summary>Every command says what it is doing before its slow start (ONNX Runtime, the probe), on stderr.</summary>
    [Theory]
    [InlineData("doctor", "checking this machine's CPU, memory, GPU and ONNX Runtime...")]
    [InlineData("doctor --json", "checking this machine's CPU, memory, GPU and ONNX Runtime...")]
    [InlineData("datasets", "looking for the datasets...")]
    [InlineData("datasets --json", "looking for the datasets...")]
    public async Task EveryCommand_FirstSaysWhatItIsDoing_OnStderr_BeforeItsResult(string command, string doing)
    {
        var args = command.Split(' ');
        var (code, terminal) = await RunInTerminal(args);
        Assert.Equal(0, code);
        Assert.Equal($"learndl {args[0]}: {doing}", terminal.FirstLine); // before the table or the JSON
        if (args.Contains("--json")) JsonDocument.Parse(terminal.StdOut); // stdout is still the JSON alone
    }

    [Fact]
    public async Task Run_Json_FirstSaysWhatItIsDoing_BeforeTheFirstStage_AndStdoutStaysJson()
    {
        var (code, terminal) = await RunInTerminal("run", "--images", "20", "--epochs", "1", "--device", "cpu", "--json");
        Assert.Equal(0, code);
        Assert.Equal("learndl run: starting a run: loading ONNX Runtime, ResNet18 and the images...", terminal.FirstLine);
        Assert.Contains("Choosing 20 images", terminal.All.Split('\n')[1]); // the first stage comes after it
        Assert.Equal(1, JsonDocument.Parse(terminal.StdOut).RootElement.GetProperty("epochs").GetArrayLength());
    }

    [Fact]
    public async Task Run_OneEpoch_SaysEpochInTheSingular()
    {
        var (code, stdout, stderr) = await Run("run", "--images", "20", "--epochs", "1", "--device", "cpu");
        Assert.Equal(0, code);
        Assert.Contains("1 epoch of the classification head", stderr);
        Assert.DoesNotContain("1 epochs", stderr);
        Assert.Contains("20 images (", stdout);
    }

    [Theory]
    [InlineData(1, "epoch", "1 epoch")]
    [InlineData(0, "epoch", "0 epochs")]
    [InlineData(2, "run", "2 runs")]
    [InlineData(1200, "image", "1,200 images")]
    [InlineData(1, "held-out image", "1 held-out image")]
    public void Plural_SingularForOneOnly(int count, string noun, string expected) =>
        Assert.Equal(expected, LearnDL.Training.Text.Plural.Of(count, noun));

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
        Assert.StartsWith("error:", AfterFirstLine(stderr));
    }

    [Fact]
    public async Task Run_GpuOnCpuBuild_ExitsWith3AndTheRebuildCommand()
    {
        var (code, _, stderr) = await Run("run", "--device", "gpu", "--images", "20");
        Assert.Equal(ExitCodes.DeviceUnavailable, code);
        Assert.Contains("-p:RuntimeBuild=gpu", stderr);
    }

    /// <summary>The GPU commands tools/gpu-proof/remote.sh runs: on the CPU build each fails before any work, with code 3 and nothing on stdout.</summary>
    [Theory]
    [InlineData("bench", "--images", "2000", "--device", "gpu", "--json")]
    [InlineData("run", "--dataset", "builtin", "--images", "2000", "--epochs", "1", "--device", "gpu", "--json")]
    [InlineData("parallel", "--gpu", "--json")]
    public async Task GpuCommands_OnTheCpuBuild_ExitWith3BeforeAnyWork(params string[] args)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (code, stdout, stderr) = await Run(args);
        Assert.Equal(ExitCodes.DeviceUnavailable, code);
        Assert.Empty(stdout);
        Assert.StartsWith("error: The GPU was requested, but this is the CPU build", AfterFirstLine(stderr));
        Assert.Contains("-p:RuntimeBuild=gpu", stderr);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"took {started.Elapsed}: work was done before the device was checked");
    }

    /// <summary>INT8 (issue 25): only fp32 and int8, and never on the GPU, whose provider has no INT8 path for this network.</summary>
    [Theory]
    [InlineData("fp16", "--precision takes fp32, int8 or both")]
    [InlineData("fp32,int4", "--precision takes fp32, int8 or both")]
    public async Task Bench_UnknownPrecision_ExitsWith2AndSaysWhatItTakes(string precision, string message)
    {
        var (code, stdout, stderr) = await Run("bench", "--precision", precision, "--device", "cpu");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Empty(stdout);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public async Task Bench_Precisions_GivesBothNetworksSpeedsTheirRatio_AndTheFeatureDifference()
    {
        // The INT8 network as `learndl quantize` leaves it in the data folder (calibrated on few images, to be quick).
        var (int8, _) = Precision.Int8Network.Derive(TestData.Catalog(_temp.Path), null, 20, Precision.CalibrationMethod.MinMax);
        Precision.Int8Network.Save(int8, Precision.Int8Network.PathIn(_temp.Path));
        var (code, stdout, _) = await Run("bench", "--images", "16", "--device", "cpu", "--prep-images", "16", "--photos", "1", "--precision", "fp32,int8", "--json");
        Assert.Equal(0, code);
        var root = JsonDocument.Parse(stdout).RootElement;
        var precisions = root.GetProperty("precisions");
        foreach (var name in new[] { "fp32", "int8" })
        {
            var p = precisions.GetProperty(name);
            var (a, b) = (p.GetProperty("runtimeOnlyImagesPerSecond").GetDouble(), p.GetProperty("pipelineImagesPerSecond").GetDouble());
            Assert.True(a > 0 && b > 0);
            Assert.Equal(b / a, p.GetProperty("ratio").GetDouble(), 6);
        }
        // Today's fields stay: they are the first precision's (fp32).
        Assert.Equal(precisions.GetProperty("fp32").GetProperty("runtimeOnlyImagesPerSecond").GetDouble(), root.GetProperty("runtimeOnlyImagesPerSecond").GetDouble());
        Assert.Equal(precisions.GetProperty("int8").GetProperty("runtimeOnlyImagesPerSecond").GetDouble() / precisions.GetProperty("fp32").GetProperty("runtimeOnlyImagesPerSecond").GetDouble(),
            root.GetProperty("int8OverFp32").GetDouble(), 6);
        Assert.True(root.GetProperty("maxFeatureDifference").GetDouble() > 0);
        Assert.True(root.GetProperty("int8Kernels").GetProperty("runsOnIntegers").GetBoolean());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("int8Instructions").ValueKind);
    }

    [Fact]
    public async Task Run_Int8_SaysItsPrecisionAndAccuracy_AndOnlyOnTheCpu()
    {
        var (int8, _) = Precision.Int8Network.Derive(TestData.Catalog(_temp.Path), null, 20, Precision.CalibrationMethod.MinMax);
        Precision.Int8Network.Save(int8, Precision.Int8Network.PathIn(_temp.Path));
        var (code, stdout, _) = await Run("run", "--images", "30", "--epochs", "1", "--device", "cpu", "--precision", "int8", "--json");
        Assert.Equal(0, code);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("int8", root.GetProperty("precision").GetString());
        Assert.InRange(root.GetProperty("microAccuracy").GetDouble(), 0, 1);

        var (refused, _, stderr) = await Run("run", "--images", "30", "--device", "auto", "--precision", "int8");
        Assert.Equal(ExitCodes.BadInput, refused);
        Assert.Contains("INT8 runs on the CPU only", stderr);
        Assert.Contains("--precision must be fp32 or int8", (await Run("run", "--precision", "fp16")).Err);
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
    public async Task Bench_Json_GivesBothRatesTheirRatio_AndPreparationAlonePerDataset()
    {
        var (code, stdout, _) = await Run("bench", "--images", "16", "--device", "cpu", "--prep-images", "16", "--photos", "2", "--json");
        Assert.Equal(0, code);
        var root = JsonDocument.Parse(stdout).RootElement;
        var a = root.GetProperty("runtimeOnlyImagesPerSecond").GetDouble();
        var b = root.GetProperty("pipelineImagesPerSecond").GetDouble();
        Assert.True(a > 0 && b > 0);
        Assert.Equal(b / a, root.GetProperty("ratio").GetDouble(), 6);
        foreach (var (dataset, images) in new[] { ("builtin", 16), ("photos", 2) })
        {
            var p = root.GetProperty("preparation").GetProperty(dataset);
            Assert.Equal(images, p.GetProperty("images").GetInt32());
            Assert.Equal(Environment.ProcessorCount, p.GetProperty("threads").GetInt32());
            var one = p.GetProperty("oneThreadImagesPerSecond").GetDouble();
            var all = p.GetProperty("allCoresImagesPerSecond").GetDouble();
            Assert.True(one > 0 && all > 0);
            Assert.Equal(all / one, p.GetProperty("allCoresOverOneThread").GetDouble(), 6);
            Assert.Equal(one / a, root.GetProperty("oneThreadOverNetwork").GetProperty(dataset).GetDouble(), 6);
        }
    }

    [Fact]
    public async Task Classify_ChecksThePictureFirst_ARefusedOneExitsWith2AndSaysWhy()
    {
        var model = Path.Combine(_temp.Path, "model.zip");
        Assert.Equal(0, (await Run("run", "--images", "20", "--epochs", "1", "--device", "cpu", "--save-model", model)).Code);
        var tile = Path.Combine(_temp.Path, "tile.png");
        using (var bitmap = Datasets.AerialTileGenerator.Draw(0, 9_999)) File.WriteAllBytes(tile, bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100).ToArray());
        var bomb = Path.Combine(_temp.Path, "bomb.png");
        File.WriteAllBytes(bomb, Testing.HostilePictures.PngBomb());
        var photo = Path.Combine(_temp.Path, "photo.jpg");
        File.WriteAllBytes(photo, Testing.HostilePictures.Photo(1200, 1000, SkiaSharp.SKEncodedImageFormat.Jpeg));

        Assert.Equal(0, (await Run("classify", "--model", model, "--image", tile)).Code);
        Assert.Equal(0, (await Run("classify", "--model", model, "--image", photo)).Code);
        // A picture of a web page still gets a class, with a word that it is a guess (issue 26).
        var screenshot = Path.Combine(_temp.Path, "screenshot.png");
        File.WriteAllBytes(screenshot, Testing.HostilePictures.WebPageScreenshot());
        var (shotCode, shotOut, _) = await Run("classify", "--model", model, "--image", screenshot);
        Assert.Equal(0, shotCode);
        Assert.Contains("This picture is unlike anything the model was trained on", shotOut.ReplaceLineEndings(" ").Replace("  ", " "));
        using (var json = JsonDocument.Parse((await Run("classify", "--model", model, "--image", screenshot, "--json")).Out))
        {
            Assert.True(json.RootElement.GetProperty("unlikeTrainingData").GetBoolean());
            Assert.True(json.RootElement.GetProperty("likeness").GetProperty("ratio").GetDouble() > 1);
        }
        using (var json = JsonDocument.Parse((await Run("classify", "--model", model, "--image", tile, "--json")).Out))
            Assert.False(json.RootElement.GetProperty("unlikeTrainingData").GetBoolean());
        var (code, stdout, stderr) = await Run("classify", "--model", model, "--image", bomb);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Empty(stdout);
        Assert.Equal($"error: {bomb} declares 30,000 x 30,000 pixels (900 megapixels); at most 40 megapixels are read (MaxImagePixels).", AfterFirstLine(stderr).Trim());

        Environment.SetEnvironmentVariable("LearnDL__MaxImagePixels", "1000000");
        try
        {
            (code, _, stderr) = await Run("classify", "--model", model, "--image", photo);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("declares 1,200 x 1,000 pixels (1.2 megapixels); at most 1 megapixel is read", stderr);
        }
        finally { Environment.SetEnvironmentVariable("LearnDL__MaxImagePixels", null); }
    }

    [Fact]
    public async Task Run_OverAFolderWithAPixelBomb_SkipsItAndSaysWhy()
    {
        var root = Path.Combine(_temp.Path, "bombed");
        TestData.WriteFolderDataset(root, new Dictionary<string, SkiaSharp.SKColor> { ["red"] = SkiaSharp.SKColors.Red, ["blue"] = SkiaSharp.SKColors.Blue }, 6);
        File.WriteAllBytes(Path.Combine(root, "red", "bomb.png"), Testing.HostilePictures.PngBomb());
        var (code, stdout, _) = await Run("run", "--dataset", "folder:" + root, "--images", "13", "--epochs", "1", "--device", "cpu");
        Assert.Equal(0, code);
        var text = System.Text.RegularExpressions.Regex.Replace(stdout, @"\s+", " ");
        Assert.Contains("skipped files │ 1", text);
        Assert.Contains("bomb.png declares 30,000 x 30,000 pixels (900 megapixels)", text);
    }
}

[CollectionDefinition("environment", DisableParallelization = true)]
public class EnvironmentCollection;
