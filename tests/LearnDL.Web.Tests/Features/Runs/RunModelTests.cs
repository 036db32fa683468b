using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using LearnDL.Testing;
using LearnDL.Training.Datasets;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.RunService;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace LearnDL.Web.Tests;

/// <summary>A finished run's model at work: a learner's own picture classified, and the model downloaded and used elsewhere.</summary>
public class RunModelTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly LearnDLFactory _factory;

    public RunModelTests() => _factory = new LearnDLFactory(_temp.Path, ("LearnDL:MaxUploadImageBytes", "200000"));

    public void Dispose()
    {
        _factory.Dispose();
        _temp.Dispose();
    }

    private static byte[] Png(int classIndex, int index)
    {
        using var tile = AerialTileGenerator.Draw(classIndex, index);
        using var data = tile.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static async Task<Guid> CompletedRunAsync(HttpClient client)
    {
        var id = await client.SubmitAsync(new { dataset = "builtin", images = 60, epochs = 3, device = "cpu" });
        Assert.Equal("completed", (await client.WaitForRunAsync(id))["status"]!.GetValue<string>());
        return id;
    }

    [Fact]
    public async Task FinishedRun_ClassifiesAPicture_RefusesBadUploads_AndSaysWhenItsModelIsGone()
    {
        var client = _factory.CreateClient();
        var id = await CompletedRunAsync(client);
        var classifier = _factory.Services.GetRequiredService<RunClassifier>();
        var me = LearnDL.Web.Identity.RunOwner.NewLearner();

        var tile = Png(1, 9_999); // a forest tile the run never saw
        var outcome = await classifier.ClassifyAsync(id, new MemoryStream(tile), tile.Length, me);
        Assert.Null(outcome.Problem);
        Assert.Equal(AerialTileGenerator.ClassNames.Order(), outcome.Scores!.Select(s => s.Label).Order());
        Assert.Equal(1.0, outcome.Scores!.Sum(s => s.Probability), 3);
        Assert.True(outcome.Scores![0].Probability >= outcome.Scores[^1].Probability);
        Assert.NotNull(outcome.ThumbnailPng);
        Assert.False(outcome.Likeness!.IsUnlikeTrainingData);
        var screenshot = LearnDL.Testing.HostilePictures.WebPageScreenshot();
        var unlike = await classifier.ClassifyAsync(id, new MemoryStream(screenshot), screenshot.Length, me);
        Assert.NotNull(unlike.Scores);
        Assert.StartsWith("This picture is unlike anything the model was trained on", unlike.Likeness!.Warning);

        var text = "this is not a picture"u8.ToArray();
        Assert.Contains("not an image", (await classifier.ClassifyAsync(id, new MemoryStream(text), text.Length, me)).Problem);
        Assert.Contains("MaxUploadImageBytes", (await classifier.ClassifyAsync(id, new MemoryStream(new byte[10]), 300_000, me)).Problem);

        File.Delete(_factory.Services.GetRequiredService<ModelFiles>().PathFor(id));
        Assert.Contains("model is gone", (await classifier.ClassifyAsync(id, new MemoryStream(tile), tile.Length, me)).Problem);
        var download = await client.GetAsync($"/api/runs/{id}/model");
        Assert.Equal(HttpStatusCode.NotFound, download.StatusCode);
        Assert.Contains("gone", await download.Content.ReadAsStringAsync());
        Assert.Contains("model-missing", await client.GetStringAsync($"/runs/{id}"));
    }

    [Fact]
    public async Task DownloadedModel_LoadsWithMLNet_AndPredicts_WithThePagesSnippet()
    {
        var client = _factory.CreateClient();
        var id = await CompletedRunAsync(client);
        var response = await client.GetAsync($"/api/runs/{id}/model");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ModelFiles.DownloadName(id), response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var model = Path.Combine(_temp.Path, "downloaded.zip");
        await File.WriteAllBytesAsync(model, await response.Content.ReadAsByteArrayAsync());
        var picture = Path.Combine(_temp.Path, "mine.png");

        // The code the page shows, compiled and run as a learner would, on the downloaded file.
        var page = await client.GetStringAsync($"/runs/{id}");
        Assert.Contains("data-testid=\"download-model\"", page);
        var shown = WebUtility.HtmlDecode(Regex.Match(page, "<pre class=\"code-snippet\"><code>(.*?)</code>", RegexOptions.Singleline).Groups[1].Value);
        var program = ShownModelProgram.Compile(shown, ModelFiles.DownloadName(id));
        var right = 0;
        foreach (var (cls, name) in AerialTileGenerator.ClassNames.Select((n, i) => (i, n)))
        {
            await File.WriteAllBytesAsync(picture, Png(cls, 9_000 + cls));
            var predicted = program.Classify(picture, model);
            Assert.Contains(predicted, AerialTileGenerator.ClassNames);
            if (predicted == name) right++;
        }
        Assert.True(right >= 3, $"{right} of 5 unseen tiles classified right by the downloaded model");
    }

    [Fact]
    public async Task Model_OfARunThatHasNotFinished_Answers409()
    {
        var client = _factory.CreateClient();
        var response = await client.PostAsJsonAsync("/api/runs", new { dataset = "builtin", images = 800, epochs = 1, device = "cpu" });
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Conflict, (await client.GetAsync($"/api/runs/{id}/model")).StatusCode);
        await client.DeleteAsync($"/api/runs/{id}");
    }
}
