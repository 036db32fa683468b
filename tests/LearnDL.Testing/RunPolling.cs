using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace LearnDL.Testing;

/// <summary>Watching a run through /api/runs, as a script would: the one polling loop the tests and the load test share.</summary>
public static class RunPolling
{
    public static readonly string[] Ended = ["completed", "failed", "cancelled", "interrupted"];

    /// <summary>Queues a run; returns its id (the answer must be 202).</summary>
    public static async Task<Guid> SubmitAsync(this HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync("/api/runs", request);
        if ((int)response.StatusCode != 202)
            throw new InvalidOperationException($"The run was not queued ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync()}");
        return Guid.Parse((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    /// <summary>Polls the run until its state is one of <paramref name="states"/> (by default, any end); returns its last report.</summary>
    public static async Task<JsonObject> WaitForRunAsync(this HttpClient http, Guid id, TimeSpan? timeout = null, TimeSpan? every = null, params string[] states)
    {
        states = states.Length == 0 ? Ended : states;
        for (var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120)); ; await Task.Delay(every ?? TimeSpan.FromMilliseconds(100)))
        {
            var run = (await http.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!;
            if (states.Contains(run["status"]!.GetValue<string>())) return run;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Run {id} is {run["status"]} after {(timeout ?? TimeSpan.FromSeconds(120)).TotalSeconds:0} s, not {string.Join(" or ", states)}.");
        }
    }
}
