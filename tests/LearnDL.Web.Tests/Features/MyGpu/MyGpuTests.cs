using System.Diagnostics;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Lessons.Demos;
using LearnDL.Web.Features.MyGpu;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace LearnDL.Web.Tests;

/// <summary>
/// The GPU a learner really gets (issue 24, point 1): LearnDL's notebook, the parser that reads what it prints,
/// and where the card is kept. The round trip runs the notebook's own code here, on the CPU, with Debian's PyTorch.
/// </summary>
public class MyGpuTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A T4 as a free Colab notebook gives it, printed by the notebook (figures of the size a T4 reaches).</summary>
    public const string T4Result = """
        {"learndl": "learndl-gpu-result", "version": 1, "measured": "2026-12-06", "torch": "2.5.1+cu121", "device": "cuda", "gpu": "Tesla T4", "cpu": "Intel(R) Xeon(R) CPU @ 2.20GHz", "cpu_threads": 2, "image_size": 224,
         "resnet18": [{"precision": "fp32", "batch": 32, "train": false, "seconds_per_batch": 0.0291, "images_per_second": 1100.0},
                      {"precision": "fp32", "batch": 32, "train": true, "seconds_per_batch": 0.097, "images_per_second": 330.0},
                      {"precision": "amp", "batch": 32, "train": false, "seconds_per_batch": 0.0107, "images_per_second": 3000.0},
                      {"precision": "amp", "batch": 32, "train": true, "seconds_per_batch": 0.0356, "images_per_second": 900.0}],
         "matmul": [{"precision": "fp32", "n": 4096, "seconds": 0.032, "gflops": 4295.0}, {"precision": "fp16", "n": 4096, "seconds": 0.0047, "gflops": 29000.0}]}
        """;

    private static string Python => "/usr/bin/python3";

    private static (int Code, string Out, string Err) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["LEARNDL_NOTEBOOK_SMALL"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), $"{file} did not finish in 2 minutes");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Generate the notebook, validate it with nbformat, run its code with Debian's PyTorch on the CPU (small sizes),
    /// and give what it printed to the app's parser. Needs the Debian packages python3-torch and python3-nbformat (.ci/run installs them).
    /// </summary>
    [Fact]
    public void Notebook_IsValid_RunsOnTheCpu_AndItsResultIsAccepted()
    {
        Assert.True(File.Exists(Python), "python3 is missing: install the Debian packages python3-torch and python3-nbformat.");
        var notebook = Path.Combine(_temp.Path, GpuNotebook.FileName);
        File.WriteAllText(notebook, GpuNotebook.Build());
        var validate = Run(Python, "-c", "import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print(len(nb.cells))", notebook);
        Assert.True(validate.Code == 0, "nbformat refused the notebook (or python3-nbformat is not installed): " + validate.Err);
        Assert.Equal((GpuNotebook.CodeCells.Count + 1).ToString(), validate.Out.Trim());

        // The code cells, in order, as Colab runs them: one after another in one interpreter.
        var script = Path.Combine(_temp.Path, "cells.py");
        var extract = Run(Python, "-c", "import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); open(sys.argv[2], 'w').write('\\n'.join(c.source for c in nb.cells if c.cell_type == 'code'))", notebook, script);
        Assert.True(extract.Code == 0, extract.Err);
        var run = Run(Python, script);
        Assert.True(run.Code == 0, "The notebook's code failed (is python3-torch installed?): " + run.Err);
        var printed = run.Out.TrimEnd().Split('\n')[^1];

        var outcome = GpuResultParser.Parse(printed);
        Assert.True(outcome.Accepted, string.Join(" ", outcome.Problems));
        var gpu = outcome.Gpu!;
        Assert.Equal("cpu", gpu.Device); // no GPU here: the notebook fell back to the CPU, and says so
        Assert.Contains("Change runtime type", outcome.Notice);
        Assert.Equal(64, gpu.ImageSize);
        Assert.True(gpu.ForwardImagesPerSecond > 0 && gpu.TrainImagesPerSecond > 0);
        Assert.Null(gpu.AmpTrainImagesPerSecond); // FP16 mixed precision is measured only on a GPU
        Assert.Contains("scaled to 224×224", gpu.Source);
    }

    [Fact]
    public void Parser_AcceptsACardsResult_AndKeepsItsFigures()
    {
        var outcome = GpuResultParser.Parse("Some text the learner copied too\n" + T4Result.ReplaceLineEndings(" ") + "\n");
        Assert.True(outcome.Accepted, string.Join(" ", outcome.Problems));
        Assert.Null(outcome.Notice);
        var gpu = outcome.Gpu!;
        Assert.Equal(("Tesla T4", "2.5.1"), (gpu.Name, gpu.Torch));
        Assert.Equal(1100, gpu.ForwardImagesPerSecond);
        Assert.Equal(330, gpu.TrainImagesPerSecond);
        Assert.Equal(900, gpu.AmpTrainImagesPerSecond);
        Assert.Equal(1100 / 330.0, gpu.TrainingCost, 9);
        Assert.Contains("measured by you on Tesla T4", gpu.Source);
        var kept = LearnerGpu.FromJson(gpu.Json())!; // as the browser or the database gives it back
        Assert.Equal((gpu.Name, gpu.ForwardImagesPerSecond, gpu.TrainImagesPerSecond, gpu.AmpTrainImagesPerSecond), (kept.Name, kept.ForwardImagesPerSecond, kept.TrainImagesPerSecond, kept.AmpTrainImagesPerSecond));
    }

    [Theory]
    [InlineData("", "Paste the result first")]
    [InlineData("hello", "from { to }")]
    [InlineData("{\"learndl\": \"learndl-gpu-result\", \"version\": 1", "from { to }")]
    [InlineData("{\"a\": 1}", "not a LearnDL GPU result")]
    [InlineData("{\"learndl\": \"learndl-gpu-result\", \"version\": 7}", "another version")]
    [InlineData("{\"learndl\": \"learndl-gpu-result\", \"version\": 1, \"device\": \"cuda\"}", "missing figures")]
    public void Parser_RefusesWhatIsNotTheNotebooksResult_SayingWhatToDo(string text, string message)
    {
        var outcome = GpuResultParser.Parse(text);
        Assert.False(outcome.Accepted);
        Assert.Contains(outcome.Problems, p => p.Contains(message));
    }

    [Theory]
    [InlineData("\"images_per_second\": 1100.0", "\"images_per_second\": 9e9", "outside what any processor does")]
    [InlineData("\"images_per_second\": 330.0", "\"images_per_second\": 5000.0", "faster than its forward pass")]
    [InlineData("\"gpu\": \"Tesla T4\"", "\"gpu\": \"<script>alert(1)</script>\"", "card's name")]
    [InlineData("\"gpu\": \"Tesla T4\"", "\"gpu\": \"\"", "card's name")]
    [InlineData("\"torch\": \"2.5.1+cu121\"", "\"torch\": \"latest\"", "PyTorch version")]
    [InlineData("\"measured\": \"2026-12-06\"", "\"measured\": \"2199-01-01\"", "date")]
    [InlineData("\"seconds\": 0.032", "\"seconds\": 1e-9", "outside what any processor does")]
    [InlineData("\"image_size\": 224", "\"image_size\": 5000", "224×224")]
    public void Parser_RefusesImplausibleFigures(string from, string to, string message)
    {
        Assert.Contains(from, T4Result);
        var outcome = GpuResultParser.Parse(T4Result.Replace(from, to));
        Assert.False(outcome.Accepted);
        Assert.Contains(outcome.Problems, p => p.Contains(message));
        Assert.DoesNotContain(outcome.Problems, p => p.Contains('/') && p.Contains("work")); // no server path in a message
    }

    [Fact]
    public void TheCalculator_OffersTheLearnersCardFirst_WithItsOwnMeasuredTrainingCost()
    {
        var reference = GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json"));
        var mine = GpuResultParser.Parse(T4Result).Gpu!;
        var presets = GpuPresets.For(reference, null, mine);
        Assert.Equal("mine", presets[0].Id);
        Assert.Contains("measured by you", presets[0].Name);
        Assert.Equal(1100 / 330.0, presets[0].TrainingCost, 9);
        Assert.Equal("reference", presets[1].Id);
    }

    [Fact]
    public async Task ClassMode_KeepsTheCardWithTheStudent_AndTheInstructorSeesTheClassesCards()
    {
        var options = new DbContextOptionsBuilder<LearnDbContext>().UseSqlite($"Data Source={Path.Combine(_temp.Path, "class.db")}").Options;
        await using (var db = new LearnDbContext(options))
        {
            // A class's database from before this migration keeps its students.
            await db.GetService<IMigrator>().MigrateAsync("20261207003547_StudentNetworks");
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO Students (Id, DisplayName, NormalizedName, CreatedAt, LastSeenAt) VALUES ('s1', 'Ada', 'ADA', 0, 0), ('s2', 'Bo', 'BO', 0, 0);");
            await db.Database.MigrateAsync();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        }
        var factory = new Factory(options);
        await new StudentGpuStore(factory, "s1").SaveAsync(GpuResultParser.Parse(T4Result).Gpu!);
        var cpuOnly = GpuResultParser.Parse(T4Result.Replace("\"device\": \"cuda\"", "\"device\": \"cpu\"")).Gpu!;
        await new StudentGpuStore(factory, "s2").SaveAsync(cpuOnly);
        Assert.Equal("Tesla T4", (await new StudentGpuStore(factory, "s1").LoadAsync())!.Name);

        var rows = await new ClassGpus(factory).ListAsync();
        Assert.Equal(["Ada", "Bo"], rows.Select(r => r.Student));
        Assert.Equal(("Tesla T4", "cuda", 330.0, 900.0), (rows[0].Card, rows[0].Device, rows[0].TrainImagesPerSecond, rows[0].AmpTrainImagesPerSecond!.Value));
        Assert.Equal("cpu", rows[1].Device);

        await new StudentGpuStore(factory, "s1").ClearAsync();
        Assert.Null(await new StudentGpuStore(factory, "s1").LoadAsync());
        Assert.Single(await new ClassGpus(factory).ListAsync());
    }

    private sealed class Factory(DbContextOptions<LearnDbContext> options) : IDbContextFactory<LearnDbContext>
    {
        public LearnDbContext CreateDbContext() => new(options);
    }
}
