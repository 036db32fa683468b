using LearnDL.Training.Runs;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests.Class;

/// <summary>What one student who does not behave can do to the class, tried through HTTP against the whole app: each is refused.</summary>
public class HardeningTests : ClassAppTests
{
    /// <summary>A student of another server, giving the class code.</summary>
    private static async Task<Visitor> StudentAsync(LearnDLFactory factory, string name, string code)
    {
        var student = new Visitor(factory);
        var joined = await student.PostFormAsync("/join", "/account/join", ("name", name), ("code", code), ("returnUrl", "/lessons"));
        Assert.Equal("/lessons", joined.Headers.Location!.ToString());
        return student;
    }

    /// <summary>A client that is not a browser: accepts anything, keeps cookies, follows nothing.</summary>
    private static HttpClient Script(LearnDLFactory factory)
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Accept.ParseAdd("*/*");
        return client;
    }

    [Fact]
    public async Task ScriptWithoutJoining_GetsNoPageNoCircuitAndNoApi_WhateverItAccepts()
    {
        var script = Script(_factory);
        var launcher = await script.GetAsync("/runs/new");
        Assert.Equal(HttpStatusCode.Redirect, launcher.StatusCode);
        Assert.Equal("/join?returnUrl=%2Fruns%2Fnew", launcher.Headers.Location!.ToString());
        Assert.DoesNotContain("launch", await launcher.Content.ReadAsStringAsync());
        var circuit = await script.PostAsync("/_blazor/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, circuit.StatusCode);
        var api = await script.PostAsJsonAsync("/api/runs", new { images = 8, epochs = 1 });
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Contains("choose your name", await api.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await script.GetAsync("/content/cpu-vs-gpu.svg")).StatusCode);
        // What must stay open: the page to join, the app's own scripts and styles, the health check.
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/join")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/_framework/blazor.web.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/healthz")).StatusCode);

        var ada = await StudentAsync("Ada");
        Assert.Equal(HttpStatusCode.OK, (await ada.Http.PostAsync("/_blazor/negotiate?negotiateVersion=1", null)).StatusCode);
    }

    [Fact]
    public async Task Join_NeedsTheClassCodeWhenOneIsSet()
    {
        // New names per network are limited in IdentityCostTests (a rename is not counted there).
        using var temp = new TempFolder();
        using var factory = new LearnDLFactory(temp.Path, ("LearnDL:Class:InstructorPassphrase", Passphrase), ("LearnDL:Class:JoinCode", "gpu-42"));
        var mallory = new Visitor(factory);
        Assert.Contains("Class code", await mallory.Http.GetStringAsync("/join"));
        var noCode = await mallory.JoinAsync("Mallory");
        Assert.Contains("not this class", Uri.UnescapeDataString(noCode.Headers.Location!.ToString()));
        Assert.Equal(HttpStatusCode.Unauthorized, (await mallory.Http.GetAsync("/api/runs")).StatusCode);

        var ada = await StudentAsync(factory, "Ada", code: " GPU-42 "); // as read out: case and spaces do not matter
        // ... nor spaces and dashes inside it, nor a phone keyboard's fullwidth letters; another code is still refused.
        foreach (var (name, heard) in new[] { ("Ben", "gpu42"), ("Cleo", "G P U  4 2"), ("Dev", "gpu\u201342"), ("Eli", "\uFF47\uFF50\uFF55\uFF14\uFF12") })
            await StudentAsync(factory, name, heard);
        var wrongCode = await new Visitor(factory).PostFormAsync("/join", "/account/join", ("name", "Fay"), ("code", "gpu-43"), ("returnUrl", "/lessons"));
        Assert.Contains("not this class", Uri.UnescapeDataString(wrongCode.Headers.Location!.ToString()));
        Assert.Equal("/lessons", (await ada.JoinAsync("Ada L")).Headers.Location!.ToString()); // renaming needs no code
        Assert.DoesNotContain("Class code", await ada.Http.GetStringAsync("/join"));

        Assert.Equal("/lessons", (await mallory.PostFormAsync("/join", "/account/join", ("name", "Mallory"), ("code", "gpu-42"), ("returnUrl", "/lessons"))).Headers.Location!.ToString());
    }

    [Fact]
    public async Task Cancel_OnlyTheInstructorStopsTheDemoOrSomeoneElsesRun_AMemberOnlyLeaves_TheLastOneOffStopsIt()
    {
        var instructor = await InstructorAsync();
        var ada = await StudentAsync("Ada");
        var bob = await StudentAsync("Bob");
        var demo = _factory.Services.GetRequiredService<Features.Instructor.ClassDemo>();
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/queue/cpu/pause", null)).StatusCode);
        var demoRun = (await demo.StartRunAsync(new RunSettings { Images = 16, Epochs = 1 })).Runs[0].RunId;

        // Bob sees the class demo but is not on it: his cancel finds nothing to stop.
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.GetAsync($"/api/runs/{demoRun}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.DeleteAsync($"/api/runs/{demoRun}")).StatusCode);
        Assert.Equal("queued", (await bob.Http.GetFromJsonAsync<JsonObject>($"/api/runs/{demoRun}"))!["status"]!.GetValue<string>());

        // A shared run Ada started and Bob joined: Ada leaving takes only her off, and then it is not hers to stop.
        var preset = new { dataset = "builtin", images = 20, epochs = 1, device = "cpu", seed = 9, shared = true };
        var shared = await ada.RunAsync(preset);
        Assert.Equal(shared, await bob.RunAsync(preset));
        Assert.True((await (await ada.Http.DeleteAsync($"/api/runs/{shared}")).Content.ReadFromJsonAsync<JsonObject>())!["left"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, (await ada.Http.DeleteAsync($"/api/runs/{shared}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ada.Http.GetAsync($"/api/runs/{shared}")).StatusCode);
        Assert.Equal("queued", (await bob.Http.GetFromJsonAsync<JsonObject>($"/api/runs/{shared}"))!["status"]!.GetValue<string>());
        // Bob is the last one on it: his cancel stops it.
        Assert.True((await (await bob.Http.DeleteAsync($"/api/runs/{shared}")).Content.ReadFromJsonAsync<JsonObject>())!["cancelling"]!.GetValue<bool>());
        Assert.Equal("cancelled", (await bob.WaitForAsync(shared, "cancelled"))["status"]!.GetValue<string>());

        // The instructor stops anything, for everyone.
        var adas = await ada.RunAsync(new { images = 12, epochs = 1, device = "cpu" });
        Assert.True((await (await instructor.Http.DeleteAsync($"/api/runs/{adas}")).Content.ReadFromJsonAsync<JsonObject>())!["cancelling"]!.GetValue<bool>());
        Assert.True((await (await instructor.Http.DeleteAsync($"/api/runs/{demoRun}")).Content.ReadFromJsonAsync<JsonObject>())!["cancelling"]!.GetValue<bool>());
        Assert.Equal("cancelled", (await ada.WaitForAsync(adas, "cancelled"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SameTryItPressedTwiceAtOnce_ByOneStudent_IsOneRunAndNoError()
    {
        var ada = await StudentAsync("Ada");
        var preset = new { dataset = "builtin", images = 16, epochs = 1, device = "cpu", seed = 3, shared = true };
        var presses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ada.Http.PostAsJsonAsync("/api/runs", preset)));
        Assert.All(presses, p => Assert.Equal(HttpStatusCode.Accepted, p.StatusCode));
        var ids = await Task.WhenAll(presses.Select(async p => (await p.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>()));
        Assert.Single(ids.Distinct());
        Assert.Equal(1, (await ada.Http.GetFromJsonAsync<JsonObject>($"/api/runs/{ids[0]}"))!["members"]!.GetValue<int>());
    }

    [Fact]
    public async Task Compare_LeavesOutRunsThatAreNotYours()
    {
        var ada = await StudentAsync("Ada");
        var bob = await StudentAsync("Bob");
        var run = await ada.RunAsync(new { images = 16, epochs = 1, device = "cpu" });
        await ada.WaitForAsync(run, "completed");
        Assert.Contains($"/runs/{run}", await ada.Http.GetStringAsync($"/compare?ids={run}"));
        var bobs = await bob.Http.GetStringAsync($"/compare?ids={run}");
        Assert.DoesNotContain($"/runs/{run}", bobs);
        Assert.Contains("No finished runs chosen", bobs);
    }

    [Fact]
    public async Task Api_NamesNoServerPath_AndUploadsCannotBeReachedThroughTheirFolder()
    {
        var ada = await StudentAsync("Ada");
        var uploads = _factory.Services.GetRequiredService<UploadedDatasets>();
        var owner = (await _factory.Services.GetRequiredService<StudentRegistry>().ListAsync()).Single();
        var zip = Zips.Good();
        var upload = (await uploads.ImportAsync(new MemoryStream(zip), zip.Length, "Ada shapes", new RunOwner(owner.Id, owner.Name, OwnerRole.Student))).Dataset!;

        var run = await ada.RunAsync(new { dataset = "upload:Ada shapes", images = 6, epochs = 1, device = "cpu" });
        var body = (await ada.WaitForAsync(run, "completed")).ToJsonString();
        Assert.DoesNotContain(_temp.Path, body);
        Assert.DoesNotContain(upload.Id.ToString("N"), body);
        Assert.Contains("\"image\":\"", body); // examples are named class/file

        var bob = await StudentAsync("Bob");
        var folder = Path.Combine(_temp.Path, "uploads", upload.Id.ToString("N"));
        var around = await bob.Http.PostAsJsonAsync("/api/runs", new { dataset = "folder:" + folder, images = 8, epochs = 1, device = "cpu" });
        Assert.Equal(HttpStatusCode.BadRequest, around.StatusCode);
        var refusal = await around.Content.ReadAsStringAsync();
        Assert.Contains("upload:NAME", refusal);
        var outside = await bob.Http.PostAsJsonAsync("/api/runs", new { dataset = "folder:/etc", images = 8, epochs = 1, device = "cpu" });
        Assert.DoesNotContain(_temp.Path, await outside.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Instructor_RenamesRemovesAndMergesStudents_AndTheirCookiesFollow()
    {
        var instructor = await InstructorAsync();
        var ada = await StudentAsync("Ada");
        var run = await ada.RunAsync(new { images = 12, epochs = 1, device = "cpu" });
        await ada.WaitForAsync(run, "completed");
        var adaNew = await StudentAsync("Ada again"); // lost her cookie, joined under a new name
        var students = await instructor.Http.GetFromJsonAsync<JsonArray>("/api/instructor/students");
        string Id(string name) => students!.Single(s => s!["name"]!.GetValue<string>() == name)!["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.Forbidden, (await ada.Http.DeleteAsync($"/api/instructor/students/{Id("Ada again")}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await instructor.Http.PostAsync($"/api/instructor/students/{Id("Ada")}/merge-into/{Id("Ada again")}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await adaNew.Http.GetAsync($"/api/runs/{run}")).StatusCode); // her run followed her
        Assert.Equal(HttpStatusCode.Unauthorized, (await ada.Http.GetAsync("/api/runs")).StatusCode); // the old browser is no one now

        var renamed = await instructor.Http.PutAsJsonAsync($"/api/instructor/students/{Id("Ada again")}/name", new { name = "Ada Lovelace" });
        Assert.Equal(HttpStatusCode.NoContent, renamed.StatusCode);
        Assert.Contains("You are in the class as <b>Ada Lovelace</b>", await adaNew.Http.GetStringAsync("/join"));
        var bad = await instructor.Http.PutAsJsonAsync($"/api/instructor/students/{Id("Ada again")}/name", new { name = "<b>x</b>" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await instructor.Http.DeleteAsync($"/api/instructor/students/{Id("Ada again")}")).StatusCode);
        var gone = await adaNew.Http.GetAsync("/runs");
        Assert.Equal("/join?returnUrl=%2Fruns", gone.Headers.Location!.ToString());
        await StudentAsync("Ada Lovelace"); // the name is free again
    }

    [Fact]
    public async Task InstructorSignIn_LastsAClassDay_EndsWhenThePassphraseChanges_AndAStudentCannotLockItOut()
    {
        var instructor = new Visitor(_factory);
        var signIn = await instructor.SignInAsync(Passphrase);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("learndl.owner="));
        var expires = DateTimeOffset.Parse(cookie.Split("; ").Single(p => p.StartsWith("expires=", StringComparison.OrdinalIgnoreCase))["expires=".Length..]);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(11), TimeSpan.FromHours(12.1));

        // A student on the same network address guesses until the address is locked out...
        var guesser = new Visitor(_factory);
        for (var i = 0; i < 5; i++) await guesser.SignInAsync("guess-" + i);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await guesser.SignInAsync(Passphrase)).StatusCode);
        // ...but the instructor's browser, which signed in before, still can.
        Assert.Equal("/instructor", (await instructor.SignInAsync(Passphrase)).Headers.Location!.ToString());

        // The same data folder (and keys) with another passphrase: a student's cookie still works there, the old sign-in does not.
        var ada = new Visitor(_factory);
        var adaCookie = (await ada.JoinAsync("Ada")).Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("learndl.owner="));
        using var changed = new LearnDLFactory(_temp.Path, ("LearnDL:Class:InstructorPassphrase", "a-new-passphrase-2027"));
        HttpClient Browser(string setCookie)
        {
            var client = changed.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
            client.DefaultRequestHeaders.Add("Cookie", setCookie.Split(';')[0]);
            return client;
        }
        Assert.Equal(HttpStatusCode.OK, (await Browser(adaCookie).GetAsync("/api/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Browser(cookie).GetAsync("/api/instructor/queue")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.GetAsync("/api/instructor/queue")).StatusCode); // unchanged server: still signed in
    }

    [Fact]
    public async Task Uploads_ImportedAtTheSameTime_CannotOverrunAQuotaTogether()
    {
        _ = _factory.CreateClient();
        var uploads = _factory.Services.GetRequiredService<UploadedDatasets>();
        var ada = (await _factory.Services.GetRequiredService<StudentRegistry>().JoinAsync("Ada", null)).Owner!; // in the register: the importer refuses anyone else
        var zip = Zips.Good();
        var held = new HeldStream(zip);
        var first = uploads.ImportAsync(held, zip.Length, "first", ada);
        await held.Reading; // the first import is under way and has set aside its room
        var second = await uploads.ImportAsync(new MemoryStream(zip), zip.Length, "second", ada);
        Assert.False(second.Accepted);
        Assert.Contains("being imported right now", second.Message);
        held.Release();
        Assert.True((await first).Accepted);
        Assert.True((await uploads.ImportAsync(new MemoryStream(zip), zip.Length, "second", ada)).Accepted); // room again once it is done
    }

    [Fact]
    public async Task HeadRequests_AreAnsweredLikeGet()
    {
        using var temp = new TempFolder();
        using var personal = new LearnDLFactory(temp.Path);
        var client = personal.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/lessons"))).StatusCode);
    }
}
