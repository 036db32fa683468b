using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LearnDL.Testing;
using LearnDL.Training.Datasets;
using LearnDL.Training.Precision;

namespace LearnDL.Web.Tests;

/// <summary>Precision as a run setting (issue 25): fp32 by default, int8 on the CPU only, carried to the result, the API and the lists.</summary>
public class PrecisionTests : IDisposable
{
    /// <summary>An INT8 network calibrated on few images, derived once for these tests and left where the app looks for it (runs derive theirs with 300).</summary>
    private static readonly Lazy<byte[]> QuickInt8 = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("learndl-int8-").FullName;
        try { return Int8Network.Derive(new DatasetCatalog(new DatasetOptions { DataFolder = folder }), null, 20, CalibrationMethod.MinMax).Model; }
        finally { Directory.Delete(folder, true); }
    });

    private readonly TempFolder _temp = new();
    private readonly LearnDLFactory _factory;

    public PrecisionTests()
    {
        Int8Network.Save(QuickInt8.Value, Int8Network.PathIn(_temp.Path));
        _factory = new LearnDLFactory(_temp.Path);
    }

    public void Dispose()
    {
        _factory.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Int8Run_RunsOnTheCpu_AndSaysItsPrecisionEverywhere()
    {
        var client = _factory.CreateClient();
        var int8 = await client.SubmitAsync(new { dataset = "builtin", images = 40, epochs = 1, device = "cpu", precision = "int8" });
        var fp32 = await client.SubmitAsync(new { dataset = "builtin", images = 40, epochs = 1, device = "cpu" }); // left out: fp32
        var run = await client.WaitForRunAsync(int8);
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.Equal("int8", run["precision"]!.GetValue<string>());
        Assert.Equal("int8", run["result"]!["precision"]!.GetValue<string>());
        Assert.Equal("cpu", run["device"]!.GetValue<string>());
        Assert.True(run["result"]!["microAccuracy"]!.GetValue<double>() > 0.5); // five classes: chance is 0.2
        Assert.Equal("fp32", (await client.WaitForRunAsync(fp32))["precision"]!.GetValue<string>());

        var listed = await client.GetStringAsync("/api/runs");
        var list = JsonNode.Parse(listed)!["items"]!.AsArray();
        Assert.True(list.Count > 0, listed);
        Assert.True(list.Single(r => r!["id"]!.GetValue<string>() == int8.ToString())!["precision"]?.GetValue<string>() == "int8", listed);
    }

    [Theory]
    [InlineData("{\"precision\":\"fp16\",\"device\":\"cpu\"}", "precision must be fp32 or int8")]
    [InlineData("{\"precision\":\"int8\",\"device\":\"gpu\"}", "INT8 runs on the CPU only")]
    [InlineData("{\"precision\":\"int8\",\"device\":\"auto\"}", "INT8 runs on the CPU only")]
    public async Task Int8_IsRefusedOffTheCpu_AndUnknownPrecisionsSayWhatIsTaken(string body, string message)
    {
        var response = await _factory.CreateClient().PostAsync("/api/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }
}
