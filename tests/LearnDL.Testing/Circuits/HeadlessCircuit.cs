using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Testing.Circuits;

/// <summary>
/// One browser tab without a browser: a Blazor Server circuit over WebSockets, spoken the way
/// blazor.web.js speaks it (Platform/Circuits/CircuitManager.ts, Boot.Server.Common.ts and
/// Services/WebRootComponentManager.ts of ASP.NET Core 10): the page is fetched with the tab's
/// cookies, its prerendered component markers are added to a circuit started with StartCircuit,
/// every render batch is applied to a <see cref="HeadlessDom"/> and acknowledged, JS interop
/// calls are answered, browser events go through the renderer's interop object, in-app links
/// through OnLocationChanged. When the connection drops it reconnects to its circuit like the
/// browser, with backoff and jitter; when the server says the circuit is gone, it loads the page
/// again (the browser's reload) and starts a new one.
/// </summary>
public sealed class HeadlessCircuit : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CookieContainer _cookies;
    private readonly Uri _base;
    private readonly Random _random;
    private readonly object _gate = new();
    private readonly List<Waiter> _waiters = [];
    private readonly CancellationTokenSource _closing = new();
    private HubConnection? _connection;
    private string? _circuitId;
    private long _nextBatch = 2, _interop, _nextCall = 1, _nextJsObject = 1;
    private int _nextOperationBatch = 1;
    private Task? _recovering;

    public HeadlessCircuit(HttpClient http, CookieContainer cookies, Random? random = null)
    {
        (_http, _cookies, _base, _random) = (http, cookies, http.BaseAddress!, random ?? new Random());
    }

    public HeadlessDom Dom { get; private set; } = new();
    /// <summary>The address the tab shows.</summary>
    public string Uri { get; private set; } = "";
    /// <summary>Times the connection came back to the same circuit, and times the page had to be loaded again.</summary>
    public int Reconnects { get; private set; }
    public int Reloads { get; private set; }
    /// <summary>Render batches applied, and what went wrong (the server's JS.Error, a batch that would not apply, a failed reconnection attempt).</summary>
    public long Batches { get; private set; }
    public long BatchBytes { get; private set; }
    public List<string> Errors { get; } = [];
    /// <summary>True while the connection is down and the tab is trying to come back.</summary>
    public bool Recovering => _recovering is { IsCompleted: false };
    /// <summary>When the tab last came back (to its circuit or a new one) after a drop.</summary>
    public DateTime? CameBackAt { get; private set; }
    public event Action<string>? Log;

    /// <summary>Loads <paramref name="path"/> and starts its circuit; returns once the page is interactive.</summary>
    public async Task OpenAsync(string path, TimeSpan timeout)
    {
        Uri = new Uri(_base, path).ToString();
        await StartCircuitAsync(_closing.Token);
        await WaitForAsync(d => d.ByAttribute("data-interactive", "yes").Any(), timeout);
    }

    /// <summary>Waits until the page satisfies <paramref name="condition"/> (checked now and after every batch).</summary>
    public Task WaitForAsync(Func<HeadlessDom, bool> condition, TimeSpan timeout) => Watch(condition, checkNow: true).WaitAsync(timeout);

    /// <summary>
    /// Clicks <paramref name="element"/> as a browser does (its click handler through DispatchBrowserEvent, or,
    /// for an in-app link without one, a navigation) and returns the milliseconds from the click to the render
    /// batch after which <paramref name="answered"/> holds.
    /// </summary>
    public async Task<double> ClickAsync(DomElement element, Func<HeadlessDom, bool> answered, TimeSpan timeout)
    {
        var start = Stopwatch.GetTimestamp();
        var done = Watch(answered, checkNow: false);
        var link = element.Name == "a" && element["href"] is { } href && IsInApp(href) ? href : null;
        if (element.Handlers.TryGetValue("click", out var handler))
        {
            var descriptor = new JsonObject { ["eventHandlerId"] = handler, ["eventName"] = "click", ["eventFieldInfo"] = null };
            var args = new JsonObject
            {
                ["detail"] = 1, ["screenX"] = 0, ["screenY"] = 0, ["clientX"] = 0, ["clientY"] = 0, ["offsetX"] = 0, ["offsetY"] = 0,
                ["pageX"] = 0, ["pageY"] = 0, ["movementX"] = 0, ["movementY"] = 0, ["button"] = 0, ["buttons"] = 0,
                ["ctrlKey"] = false, ["shiftKey"] = false, ["altKey"] = false, ["metaKey"] = false, ["type"] = "click",
            };
            await InvokeDotNetAsync("DispatchEventAsync", new JsonArray(descriptor, args));
        }
        else if (link is null) throw new InvalidOperationException($"Nothing happens on a click on {element}.");
        // A link also takes the tab to its page, as the browser's navigation manager does with an in-app link.
        if (link is not null) await NavigateAsync(link);
        var answeredAt = await done.WaitAsync(timeout);
        return Stopwatch.GetElapsedTime(start, answeredAt).TotalMilliseconds;
    }

    /// <summary>Moves to another page inside the circuit, as a click on an in-app link does (history.pushState, then OnLocationChanged).</summary>
    public Task NavigateAsync(string href)
    {
        Uri = new Uri(new Uri(Uri), href).ToString();
        return Connection.SendAsync("OnLocationChanged", Uri, null, true);
    }

    /// <summary>Reads the page while no batch is being applied to it.</summary>
    public T Locked<T>(Func<HeadlessDom, T> read)
    {
        lock (_gate) return read(Dom);
    }

    private bool IsInApp(string href) =>
        System.Uri.TryCreate(new Uri(Uri), href, out var target) && target.GetLeftPart(UriPartial.Authority) == _base.GetLeftPart(UriPartial.Authority);

    private HubConnection Connection => _connection ?? throw new InvalidOperationException("The circuit is not connected.");

    private Task InvokeDotNetAsync(string method, JsonArray args) =>
        Connection.SendAsync("BeginInvokeDotNetFromJS", Interlocked.Increment(ref _nextCall).ToString(), null, method, _interop, args.ToJsonString());

    /// <summary>Completes with the time (Stopwatch ticks) of the batch after which <paramref name="condition"/> held.</summary>
    private Task<long> Watch(Func<HeadlessDom, bool> condition, bool checkNow)
    {
        var waiter = new Waiter(condition);
        lock (_gate)
        {
            if (checkNow && condition(Dom)) return Task.FromResult(Stopwatch.GetTimestamp());
            _waiters.Add(waiter);
        }
        return waiter.Done.Task;
    }

    /// <summary>GETs the page with the tab's cookies and starts a circuit from its markers, as a page load does.</summary>
    private async Task StartCircuitAsync(CancellationToken cancel)
    {
        var html = await _http.GetStringAsync(Uri, cancel);
        var page = PrerenderedPage.Parse(html);
        if (page.Markers.Count == 0) throw new InvalidOperationException($"{Uri} has no interactive server components.");
        lock (_gate)
        {
            Dom = new HeadlessDom();
            _nextBatch = 2;
            _nextOperationBatch = 1;
        }
        var connection = await ConnectAsync(cancel);
        // blazor.web.js starts the circuit with no components, then adds the page's components in one batch
        // of operations, sending the prerendered state with the first.
        _circuitId = await connection.InvokeAsync<string?>("StartCircuit", _base.ToString(), Uri, "[]", "", cancel)
            ?? throw new InvalidOperationException("The server refused to start a circuit.");
        await connection.SendAsync("UpdateRootComponents", page.AddOperations(_nextOperationBatch++), page.ApplicationState, cancel);
    }

    private async Task<HubConnection> ConnectAsync(CancellationToken cancel)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(_base, "_blazor"), options =>
            {
                options.Cookies = _cookies;
                options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
            });
        builder.Services.AddSingleton<IHubProtocol>(new BlazorPackProtocol());
        var connection = builder.Build();
        connection.ServerTimeout = TimeSpan.FromSeconds(30);
        connection.On<int, string>("JS.AttachComponent", (id, selector) => { lock (_gate) Dom.AttachRoot(id, selector); });
        connection.On<long, byte[]>("JS.RenderBatch", (id, data) => OnRenderBatchAsync(connection, id, data));
        connection.On<long, string, string, int, long, int>("JS.BeginInvokeJS", (handle, identifier, args, resultType, target, _) =>
            OnBeginInvokeJS(connection, handle, identifier, args, resultType, target));
        connection.On<string, bool, string>("JS.EndInvokeDotNet", (_, success, result) =>
        {
            if (!success) Fail($"a call into .NET failed: {First(result)}");
        });
        connection.On<long>("JS.EndUpdateRootComponents", _ => { });
        connection.On<int, bool>("JS.EndLocationChanging", (_, _) => { });
        connection.On<int, byte[]>("JS.ReceiveByteArray", (_, _) => { });
        connection.On<string, string, string, bool>("JS.SavePersistedState", (_, _, _) => true);
        connection.On<string>("JS.Error", error => Fail($"the server ended the circuit: {First(error)}"));
        connection.Closed += error =>
        {
            if (!_closing.IsCancellationRequested && ReferenceEquals(connection, _connection))
                lock (_gate) _recovering ??= RecoverAsync(error);
            return Task.CompletedTask;
        };
        await connection.StartAsync(cancel);
        _connection = connection;
        return connection;
    }

    private async Task OnRenderBatchAsync(HubConnection connection, long id, byte[] data)
    {
        lock (_gate)
        {
            if (id < _nextBatch) { } // sent again after a reconnection: acknowledged, not applied twice
            else if (id > _nextBatch) return; // a batch is missing: wait for the server to send it again
            else
            {
                try
                {
                    Dom.Apply(data);
                    _nextBatch++;
                    Batches++;
                    BatchBytes += data.Length;
                }
                catch (Exception e)
                {
                    Fail($"render batch {id} did not apply: {e.Message}");
                    _ = connection.SendAsync("OnRenderCompleted", id, e.Message);
                    return;
                }
                var now = Stopwatch.GetTimestamp();
                foreach (var waiter in _waiters.ToList())
                    if (waiter.Condition(Dom))
                    {
                        _waiters.Remove(waiter);
                        waiter.Done.TrySetResult(now);
                    }
            }
        }
        try { await connection.SendAsync("OnRenderCompleted", id, null); }
        catch (Exception) { } // the connection is going: the batch is sent again on reconnection
    }

    /// <summary>Answers a JS interop call as the page's scripts would, as far as the server needs to go on.</summary>
    private void OnBeginInvokeJS(HubConnection connection, long handle, string identifier, string argsJson, int resultType, long target)
    {
        JsonNode? result = null;
        if (identifier == "Blazor._internal.attachWebRendererInterop")
        {
            // The renderer's interop object: browser events are dispatched through it.
            var args = JsonNode.Parse(argsJson)!.AsArray();
            _interop = args[1]!["__dotNetObject"]!.GetValue<long>();
        }
        else if (identifier == "Blazor._internal.navigationManager.navigateTo")
        {
            var args = JsonNode.Parse(argsJson)!.AsArray();
            var uri = args[0]!.GetValue<string>();
            var forceLoad = args.Count > 1 && args[1] is JsonObject options && options["forceLoad"]?.GetValue<bool>() == true;
            _ = forceLoad ? ReloadAsync(new Uri(new Uri(Uri), uri).ToString()) : NavigateInternallyAsync(connection, uri);
        }
        if (resultType == 1) result = new JsonObject { ["__jsObjectId"] = Interlocked.Increment(ref _nextJsObject) }; // a JS object reference ("import", say)
        if (handle == 0) return; // the caller wants no answer
        _ = connection.SendAsync("EndInvokeJSFromDotNet", handle, true, new JsonArray(handle, true, result).ToJsonString());
    }

    private async Task NavigateInternallyAsync(HubConnection connection, string uri)
    {
        Uri = new Uri(new Uri(Uri), uri).ToString();
        try { await connection.SendAsync("OnLocationChanged", Uri, null, false); }
        catch (Exception e) { Fail($"a navigation was not sent: {e.Message}"); }
    }

    private async Task ReloadAsync(string uri)
    {
        Uri = uri;
        var old = _connection;
        _connection = null;
        if (old is not null) await old.DisposeAsync();
        await StartCircuitAsync(_closing.Token);
    }

    /// <summary>
    /// The connection dropped: back to the same circuit if the server still holds it, else a new page
    /// load and a new circuit. Attempts are spread with jittered backoff, so a class does not come back
    /// as one herd: a random first wait under a second, then doubling waits (at most 10 s), each
    /// between half and one and a half of its nominal length.
    /// </summary>
    private async Task RecoverAsync(Exception? why)
    {
        Log?.Invoke($"connection lost ({why?.Message ?? "closed"}); coming back");
        var old = _connection;
        _connection = null;
        var nominal = 1.0;
        for (var attempt = 0; !_closing.IsCancellationRequested; attempt++)
        {
            var wait = attempt == 0 ? _random.NextDouble() : Math.Min(10, nominal *= 2) * (0.5 + _random.NextDouble());
            try { await Task.Delay(TimeSpan.FromSeconds(wait), _closing.Token); }
            catch (OperationCanceledException) { return; }
            try
            {
                if (old is not null) { await old.DisposeAsync(); old = null; }
                var connection = await ConnectAsync(_closing.Token);
                if (_circuitId is { } id && await connection.InvokeAsync<bool>("ConnectCircuit", id, _closing.Token))
                {
                    Reconnects++;
                }
                else
                {
                    // The server no longer has the circuit (a restart, or it was let go): load the page again.
                    _connection = null;
                    await connection.DisposeAsync();
                    await StartCircuitAsync(_closing.Token);
                    await WaitForAsync(d => d.ByAttribute("data-interactive", "yes").Any(), TimeSpan.FromSeconds(60));
                    Reloads++;
                }
                CameBackAt = DateTime.UtcNow;
                lock (_gate) _recovering = null;
                return;
            }
            catch (Exception e) when (!_closing.IsCancellationRequested)
            {
                Log?.Invoke($"attempt {attempt + 1} to come back failed: {e.Message}");
                if (_connection is { } half) { _connection = null; await half.DisposeAsync(); }
            }
        }
    }

    private void Fail(string error)
    {
        lock (Errors) Errors.Add(error);
        Log?.Invoke(error);
    }

    private static string First(string text) => text.Split('\n')[0];

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        if (_connection is { } connection)
        {
            try
            {
                await connection.DisposeAsync();
                // Like the browser leaving the page: the server frees the circuit now, not after its retention period.
                using var form = new MultipartFormDataContent { { new StringContent(_circuitId ?? ""), "circuitId" } };
                using var _ = await _http.PostAsync("_blazor/disconnect", form);
            }
            catch (Exception) { } // the server is gone already
        }
        lock (_gate)
            foreach (var waiter in _waiters) waiter.Done.TrySetCanceled();
    }

    private sealed record Waiter(Func<HeadlessDom, bool> Condition)
    {
        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
