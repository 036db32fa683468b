using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LearnDL.Web.Tests.Class;

/// <summary>
/// The whole app, where each visitor comes from the network address its client names in <see cref="AddressHeader"/>
/// (the test server has no addresses of its own): a classroom behind one router, a student at home, a phone.
/// </summary>
public sealed class NetworkedFactory(string dataFolder, params (string Key, string Value)[] settings) : LearnDLFactory(dataFolder, settings)
{
    public const string AddressHeader = "X-Test-Client-Address";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, ClientAddress>());
    }

    /// <summary>First in the pipeline: the connection comes from the address the test gave.</summary>
    private sealed class ClientAddress : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextStep) =>
            {
                if (context.Request.Headers[AddressHeader] is [{ } address]) context.Connection.RemoteIpAddress = IPAddress.Parse(address);
                return nextStep();
            });
            next(app);
        };
    }

    public Visitor From(string address)
    {
        var visitor = new Visitor(this);
        visitor.Http.DefaultRequestHeaders.Add(AddressHeader, address);
        return visitor;
    }
}

/// <summary>
/// Issue 20's "one student becomes many", replayed through HTTP against the whole app: new names and queued runs
/// cost something per network and per class, removing a student stops their waiting runs, the instructor can stop
/// everything of one student, look-alike names are refused, and the class code is one switch away.
/// </summary>
public class IdentityCostTests : IDisposable
{
    private const string Passphrase = "teach-the-class-2026";
    private const string Home = "198.51.100.7", School = "192.0.2.44";
    private readonly TempFolder _temp = new();
    private NetworkedFactory? _factory;

    private NetworkedFactory App(params (string Key, string Value)[] settings) =>
        _factory = new NetworkedFactory(_temp.Path, [("LearnDL:Class:InstructorPassphrase", Passphrase), .. settings]);

    public void Dispose()
    {
        _factory?.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    private static async Task<Visitor> JoinedAsync(NetworkedFactory app, string address, string name)
    {
        var student = app.From(address);
        Assert.Equal("/lessons", (await student.JoinAsync(name)).Headers.Location!.ToString());
        return student;
    }

    private static async Task<Visitor> InstructorAsync(NetworkedFactory app)
    {
        var instructor = app.From(School);
        Assert.Equal("/instructor", (await instructor.SignInAsync(Passphrase)).Headers.Location!.ToString());
        return instructor;
    }

    private static string Refusal(HttpResponseMessage join) =>
        join.Headers.Location!.ToString() is var to && to.StartsWith("/join?error=", StringComparison.Ordinal)
            ? Uri.UnescapeDataString(to.Split('&')[0]["/join?error=".Length..])
            : throw new Xunit.Sdk.XunitException($"The name was accepted (went to {to}).");

    [Fact]
    public async Task FiftySixNamesFromOneAddressInABurst_AreRefusedAfterTheCap_ARenameIsNotCounted_AndAnotherAddressStillJoins()
    {
        var app = App(("LearnDL:Class:NewNamesPerAddressAtOnce", "10"), ("LearnDL:Class:NewNamesPerAddressPerMinute", "1"));
        var sybils = Enumerable.Range(1, 56).Select(_ => app.From(Home)).ToList();
        var joins = await Task.WhenAll(sybils.Select((s, i) => s.JoinAsync($"Sybil {i + 1}")));

        var joined = joins.Count(j => j.Headers.Location!.ToString() == "/lessons");
        Assert.Equal(10, joined);
        var refused = joins.Where(j => j.Headers.Location!.ToString() != "/lessons").ToList();
        Assert.All(refused, r => Assert.Contains("Many names were just made from your network", Refusal(r)));
        var refusedVisitor = sybils[Array.FindIndex(joins, j => j.Headers.Location!.ToString() != "/lessons")];
        Assert.Equal(HttpStatusCode.Unauthorized, (await refusedVisitor.Http.GetAsync("/api/runs")).StatusCode);

        // A student already in the class changes their name as often as they like, from the same address.
        var first = sybils[Array.FindIndex(joins, j => j.Headers.Location!.ToString() == "/lessons")];
        Assert.Equal("/lessons", (await first.JoinAsync("Sam")).Headers.Location!.ToString());
        Assert.Equal("/lessons", (await first.JoinAsync("Sam B")).Headers.Location!.ToString());
        // Another network is not locked out.
        await JoinedAsync(app, School, "Ada");

        // The instructor sees the burst (the names, never the address).
        var instructor = await InstructorAsync(app);
        var students = (await instructor.Http.GetFromJsonAsync<JsonArray>("/api/instructor/students"))!;
        Assert.Equal(11, students.Count);
        Assert.All(students.Where(s => s!["name"]!.GetValue<string>() != "Ada"), s => Assert.True(s!["burst"]!.GetValue<int>() >= StudentRegistry.BurstNames));
        Assert.Null(students.Single(s => s!["name"]!.GetValue<string>() == "Ada")!["burst"]);
        Assert.DoesNotContain(Home, students.ToJsonString());
    }

    [Fact]
    public async Task ManySybils_CannotFillTheQueue_PerAddressAndPerClass_WhileAnHonestStudentFromAnotherAddressStillQueues()
    {
        var app = App(("LearnDL:Class:MaxQueuedRunsPerAddress", "4"), ("LearnDL:Class:MaxQueuedStudentRuns", "8"));
        var instructor = await InstructorAsync(app);
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/queue/cpu/pause", null)).StatusCode); // everything waits
        var run = new { images = 8, epochs = 1, device = "cpu" };

        // Three names from one home, three runs each asked for: the home gets four places.
        var sybils = new List<Visitor>();
        for (var i = 1; i <= 3; i++) sybils.Add(await JoinedAsync(app, Home, $"Sybil {i}"));
        var answers = new List<HttpResponseMessage>();
        foreach (var sybil in sybils)
            for (var i = 0; i < 3; i++) answers.Add(await sybil.Http.PostAsJsonAsync("/api/runs", run));
        Assert.Equal(4, answers.Count(a => a.StatusCode == HttpStatusCode.Accepted));
        var refusal = answers.First(a => a.StatusCode != HttpStatusCode.Accepted);
        Assert.Equal(HttpStatusCode.TooManyRequests, refusal.StatusCode);
        Assert.Contains("runs from your network", await refusal.Content.ReadAsStringAsync());
        Assert.Contains("MaxQueuedRunsPerAddress", await refusal.Content.ReadAsStringAsync());

        // An honest student at school still queues.
        var ada = await JoinedAsync(app, School, "Ada");
        Assert.Equal(HttpStatusCode.Accepted, (await ada.Http.PostAsJsonAsync("/api/runs", run)).StatusCode);

        // Sybils spread over many addresses meet the class's limit (4 + 1 + 3 = 8)...
        var phone = await JoinedAsync(app, "2001:db8:7:1::10", "Sybil phone");
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Accepted, (await phone.Http.PostAsJsonAsync("/api/runs", run)).StatusCode);
        var another = await JoinedAsync(app, "203.0.113.9", "Sybil elsewhere");
        var full = await another.Http.PostAsJsonAsync("/api/runs", run);
        Assert.Equal(HttpStatusCode.TooManyRequests, full.StatusCode);
        Assert.Contains("MaxQueuedStudentRuns", await full.Content.ReadAsStringAsync());
        // ...and the rest of the queue is still the instructor's.
        Assert.Equal(HttpStatusCode.Accepted, (await instructor.Http.PostAsJsonAsync("/api/runs", run)).StatusCode);

        var queue = (await instructor.Http.GetFromJsonAsync<JsonObject>("/api/instructor/queue"))!;
        Assert.Equal(9, queue["lanes"]!.AsArray().Sum(l => l!["waiting"]!.AsArray().Count));
    }

    [Fact]
    public async Task RemovingAStudent_CancelsTheirWaitingRuns_AndTakesThemOffSharedRunsOthersAreOn()
    {
        var app = App();
        var instructor = await InstructorAsync(app);
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/queue/cpu/pause", null)).StatusCode);
        var sybil = await JoinedAsync(app, Home, "Sybil");
        var bob = await JoinedAsync(app, School, "Bob");
        var own = await sybil.RunAsync(new { images = 8, epochs = 1, device = "cpu" });
        var preset = new { dataset = "builtin", images = 12, epochs = 1, device = "cpu", seed = 4, shared = true };
        var shared = await sybil.RunAsync(preset);
        Assert.Equal(shared, await bob.RunAsync(preset));

        var id = (await instructor.Http.GetFromJsonAsync<JsonArray>("/api/instructor/students"))!
            .Single(s => s!["name"]!.GetValue<string>() == "Sybil")!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await instructor.Http.DeleteAsync($"/api/instructor/students/{id}")).StatusCode);

        Assert.Equal("cancelled", (await instructor.WaitForAsync(own, "cancelled"))["status"]!.GetValue<string>());
        var stillOn = (await bob.Http.GetFromJsonAsync<JsonObject>($"/api/runs/{shared}"))!;
        Assert.Equal("queued", stillOn["status"]!.GetValue<string>());
        Assert.Equal(1, stillOn["members"]!.GetValue<int>());
    }

    [Fact]
    public async Task CancelEverythingOfAStudent_StopsTheirWaitingAndRunningRuns_LeavesSharedOnesToOthers_AndIsForTheInstructorOnly()
    {
        var app = App();
        var instructor = await InstructorAsync(app);
        var sybil = await JoinedAsync(app, Home, "Sybil");
        var bob = await JoinedAsync(app, School, "Bob");
        var running = await sybil.RunAsync(new { images = 400, epochs = 5, device = "cpu" });
        await sybil.WaitForAsync(running, "running");
        var waiting = await sybil.RunAsync(new { images = 8, epochs = 1, device = "cpu" });
        var preset = new { dataset = "builtin", images = 12, epochs = 1, device = "cpu", seed = 6, shared = true };
        var shared = await bob.RunAsync(preset);
        Assert.Equal(shared, await sybil.RunAsync(preset));
        var id = (await instructor.Http.GetFromJsonAsync<JsonArray>("/api/instructor/students"))!
            .Single(s => s!["name"]!.GetValue<string>() == "Sybil")!["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.PostAsync($"/api/instructor/students/{id}/cancel-runs", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await sybil.Http.PostAsync($"/api/instructor/students/{id}/cancel-runs", null)).StatusCode);
        Assert.Equal("running", (await sybil.Http.GetFromJsonAsync<JsonObject>($"/api/runs/{running}"))!["status"]!.GetValue<string>());

        var stop = await instructor.Http.PostAsync($"/api/instructor/students/{id}/cancel-runs", null);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        var done = (await stop.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(2, done["stopped"]!.GetValue<int>());
        Assert.Equal(1, done["left"]!.GetValue<int>());
        Assert.Equal("cancelled", (await sybil.WaitForAsync(running, "cancelled"))["status"]!.GetValue<string>());
        Assert.Equal("cancelled", (await sybil.WaitForAsync(waiting, "cancelled"))["status"]!.GetValue<string>());
        Assert.Equal(1, (await bob.Http.GetFromJsonAsync<JsonObject>($"/api/runs/{shared}"))!["members"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await instructor.Http.PostAsync("/api/instructor/students/student-nobody/cancel-runs", null)).StatusCode);
    }

    [Fact]
    public async Task LookAlikeNames_AreRefusedWithAClearMessage_WhileNamesInOtherScriptsJoin()
    {
        var app = App();
        await JoinedAsync(app, School, "Alice");
        await JoinedAsync(app, School, "Maria Lopez");
        await JoinedAsync(app, School, "Dana");
        var mallory = app.From(Home);
        var cases = new (string Name, string Says)[]
        {
            ("Alice\u3164", "invisible characters"),
            ("\u3164", "invisible characters"),
            ("Dana\u200B", "invisible characters"),
            ("\u0406nstructor", "kept for the instructor"), // Cyrillic І
            ("Instruct\u03BFr", "kept for the instructor"), // Greek ο
            ("\u041Caria Lopez", "mixes Cyrillic and Latin"), // Cyrillic М
            ("\uFF41\uFF4C\uFF49\uFF43\uFF45", "already called alice"), // fullwidth: NFKC makes it alice, who is Alice
            ("A" + "lic\u0435", "mixes Cyrillic and Latin"), // Cyrillic е at the end
            ("a" + new string('\u0301', 39), "Too many accents"),
        };
        foreach (var (name, says) in cases)
            Assert.Contains(says, Refusal(await mallory.JoinAsync(name)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await mallory.Http.GetAsync("/api/runs")).StatusCode);

        // A name all in one script that looks like a Latin one is fine alone, but not beside its Latin twin.
        await JoinedAsync(app, School, "Case");
        Assert.Contains("looks the same", Refusal(await mallory.JoinAsync("\u0421\u0430\u0455\u0435")));

        foreach (var name in new[] { "Zoë", "José", "Мария", "李雷", "O'Brien", "O\u2019Neil", "Νίκος", "山田はなこ", "김민준", "สมศักดิ์", "प्रियंका" })
            await JoinedAsync(app, School, name);
        var instructor = await InstructorAsync(app);
        var names = (await instructor.Http.GetFromJsonAsync<JsonArray>("/api/instructor/students"))!.Select(s => s!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("O'Neil", names); // a phone's apostrophe is the apostrophe
        Assert.Contains("Zoë", names);
    }

    [Fact]
    public async Task ClassCodeSwitch_OnTheDashboard_TakesEffectOnJoinAtOnce_AndIsTheInstructorsAlone()
    {
        var app = App();
        var instructor = await InstructorAsync(app);
        var ada = await JoinedAsync(app, School, "Ada"); // no code configured: a name is enough
        Assert.Equal(HttpStatusCode.Forbidden, (await ada.Http.PutAsJsonAsync("/api/instructor/join-code", new { required = false })).StatusCode);

        var noCode = await instructor.Http.PutAsJsonAsync("/api/instructor/join-code", new { required = true });
        Assert.Equal(HttpStatusCode.BadRequest, noCode.StatusCode);
        Assert.Contains("Type a class code first", await noCode.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PutAsJsonAsync("/api/instructor/join-code", new { required = true, code = "owl-7" })).StatusCode);

        var bob = app.From(School);
        Assert.Contains("Class code", await bob.Http.GetStringAsync("/join"));
        Assert.Contains("not this class's code", Refusal(await bob.JoinAsync("Bob")));
        Assert.Equal("/lessons", (await bob.PostFormAsync("/join", "/account/join", ("name", "Bob"), ("code", " OWL-7 "), ("returnUrl", "/lessons"))).Headers.Location!.ToString());
        Assert.Equal("/lessons", (await ada.JoinAsync("Ada L")).Headers.Location!.ToString()); // a rename needs no code

        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PutAsJsonAsync("/api/instructor/join-code", new { required = false })).StatusCode);
        Assert.DoesNotContain("Class code", await app.From(School).Http.GetStringAsync("/join"));
        await JoinedAsync(app, School, "Carol");
        Assert.Equal("owl-7", (await instructor.Http.GetFromJsonAsync<JsonObject>("/api/instructor/join-code"))!["code"]!.GetValue<string>()); // kept for next time
    }

    [Fact]
    public async Task OldLookAlikeRows_AreKeyedAnewAtStart_AndTheInstructorTellsThemApartByJoinTimeAndId()
    {
        var app = App();
        await JoinedAsync(app, School, "Dana");
        // A row made before the name checks: "Dana" with a Hangul filler, keyed the old way (upper case).
        string impostor = "student-0ld0ld0ld0ld0ld0";
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<LearnDbContext>>().CreateDbContextAsync())
        {
            db.Students.Add(new StudentRecord { Id = impostor, DisplayName = "Dana\u3164", NormalizedName = "DANA\u3164", CreatedAt = DateTimeOffset.UtcNow, LastSeenAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        app.Dispose();

        var again = App(); // the same data folder, started anew
        var instructor = await InstructorAsync(again);
        var page = await instructor.Http.GetStringAsync("/instructor");
        var danas = (await instructor.Http.GetFromJsonAsync<JsonArray>("/api/instructor/students"))!;
        Assert.Equal(2, danas.Count);
        foreach (var dana in danas) Assert.Contains($">{dana!["id"]!.GetValue<string>()}<", page); // each row says which is which, in words
        // The real Dana leaves: the old look-alike still holds her name, so nobody can become a second "Dana".
        var real = danas.Single(d => d!["id"]!.GetValue<string>() != impostor)!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await instructor.Http.DeleteAsync($"/api/instructor/students/{real}")).StatusCode);
        Assert.Contains("looks the same", Refusal(await again.From(Home).JoinAsync("Dana")));
    }

    [Fact]
    public async Task NamesMadeInABurst_AnsweringAtAPersonsPace_AreFlaggedInThePulse_AndMoveNoFigure()
    {
        // One clock for when names are made and when answers come, so "a burst" and "a person's pace" are exact.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = _factory = new NetworkedFactory(_temp.Path, ("LearnDL:Class:InstructorPassphrase", Passphrase))
        {
            TestServices = s => s
                .AddSingleton(sp => ActivatorUtilities.CreateInstance<StudentRegistry>(sp, clock))
                .AddSingleton(sp => ActivatorUtilities.CreateInstance<Features.Instructor.ClassPulse>(sp, clock)),
        };
        var instructor = await InstructorAsync(app);
        var (lesson, question) = app.Services.GetRequiredService<Features.Lessons.LessonCatalog>().All
            .SelectMany(l => l.Questions.Select(q => (l, q))).First();
        var right = question.Answers.FindIndex(a => a.Correct);
        var wrong = question.Answers.FindIndex(a => !a.Correct);
        async Task AnswerAsync(Visitor student, int answer)
        {
            Assert.Equal(HttpStatusCode.OK, (await student.Http.PostAsync($"/api/lessons/{lesson.Slug}/opened", null)).StatusCode);
            clock.Advance(TimeSpan.FromSeconds(30)); // reads the lesson, as a person does
            Assert.Equal(HttpStatusCode.OK, (await student.Http.PostAsJsonAsync($"/api/lessons/{lesson.Slug}/questions/{question.Id}/answers", new { answer })).StatusCode);
        }

        var ada = await JoinedAsync(app, Home, "Ada");
        clock.Advance(TimeSpan.FromMinutes(1));
        // A script makes eight names at one instant from one network, then answers under each at a person's pace.
        var sybils = new List<Visitor>();
        for (var i = 1; i <= 8; i++) sybils.Add(await JoinedAsync(app, School, $"Sybil {i}"));
        await AnswerAsync(ada, right);
        foreach (var sybil in sybils) await AnswerAsync(sybil, wrong);

        var pulse = (await instructor.Http.GetFromJsonAsync<JsonObject>("/api/instructor/pulse"))!;
        var figure = pulse["questions"]!.AsArray().Single(q => q!["lesson"]!.GetValue<string>() == lesson.Slug && q["id"]!.GetValue<string>() == question.Id)!;
        Assert.Equal(1, figure["answered"]!.GetValue<int>()); // Ada alone
        Assert.Equal(1.0, figure["firstTryCorrectShare"]!.GetValue<double>());
        Assert.Null(figure["commonWrongAnswer"]);
        var flagged = pulse["flagged"]!.AsArray().Select(f => f!.AsObject()).ToList();
        Assert.Equal(Enumerable.Range(1, 8).Select(i => $"Sybil {i}"), flagged.Select(f => f["student"]!.GetValue<string>()).Order());
        Assert.All(flagged, f => Assert.Contains("name made with 7 others from one network", f["reason"]!.GetValue<string>()));
    }
}
