using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LearnDL.Testing;

namespace LearnDL.LoadTest;

/// <summary>One person at the API: their own cookie, so the server sees a separate owner.</summary>
public sealed class Student(string baseUrl) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true })
    {
        BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(120),
    };

    public HttpClient Http => _http;

    /// <summary>Gets the owner cookie, as a browser does with its first page: requests sent together then share one owner.</summary>
    public async Task<Student> ArriveAsync()
    {
        using var response = await _http.GetAsync("/api/runs?pageSize=1");
        response.EnsureSuccessStatusCode();
        return this;
    }

    /// <summary>POST /api/runs: the status code, and the run id when accepted.</summary>
    public async Task<(HttpStatusCode Status, Guid? Id, bool Joined)> SubmitAsync(object request)
    {
        using var response = await _http.PostAsJsonAsync("/api/runs", request);
        if (response.StatusCode != HttpStatusCode.Accepted) return (response.StatusCode, null, false);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (response.StatusCode, Guid.Parse(body!["id"]!.GetValue<string>()), body["joined"]!.GetValue<bool>());
    }

    public async Task<JsonObject> GetAsync(Guid id) =>
        (await _http.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!;

    /// <summary>Polls until the run has ended; returns its final report.</summary>
    public Task<JsonObject> WaitFinishedAsync(Guid id, TimeSpan every, TimeSpan timeout) => _http.WaitForRunAsync(id, timeout, every);

    public static double Number(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.')) node = node?[part];
        return node?.GetValue<double>() ?? double.NaN;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public void Dispose() => _http.Dispose();
}
