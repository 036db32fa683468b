using LearnDL.Testing;
using LearnDL.Testing.Circuits;

namespace LearnDL.E2E;

/// <summary>A class app of its own for the headless students, on a port kept across a restart.</summary>
public sealed class HeadlessClassServer : IAsyncLifetime
{
    private readonly Dictionary<string, string> _settings = new() { ["Class:InstructorPassphrase"] = "headless-class-2026" };
    private readonly string _data = Directory.CreateTempSubdirectory("learndl-headless-").FullName;
    private int _port;

    public AppProcess App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await AppProcess.StartAsync(AppContext.BaseDirectory, _settings, _data);
        _port = new Uri(App.BaseUrl).Port;
    }

    /// <summary>Kills the app (no graceful stop) and starts it again on the same port and data: open pages may come back.</summary>
    public async Task KillAndRestartAsync()
    {
        await App.DisposeAsync();
        App = await AppProcess.StartAsync(AppContext.BaseDirectory, _settings, _data, port: _port);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }
}

/// <summary>
/// The load test's headless students (real Blazor Server circuits without a browser) against the real app, so the
/// client the class measurements rest on stays honest: pages render, clicks are answered by render batches, and a
/// tab comes back by itself, as itself, after the server restarts.
/// </summary>
public sealed class HeadlessClassTests(HeadlessClassServer server) : IClassFixture<HeadlessClassServer>
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    private async Task<List<HeadlessStudent>> ClassAsync(params string[] names)
    {
        var students = names.Select((n, i) => new HeadlessStudent(server.App.BaseUrl, n, i + 1) { Think = _ => TimeSpan.Zero, StepTimeout = Step }).ToList();
        foreach (var s in students)
        {
            await s.JoinAsync();
            await s.ArriveAsync();
        }
        return students;
    }

    [Fact]
    public async Task ThreeHeadlessStudents_OpenLessonOne_AndEveryAnswerRendersItsExplanation()
    {
        var students = await ClassAsync("Ada Lovelace", "Alan Turing", "Grace Hopper");
        try
        {
            await Task.WhenAll(students.Select(s => s.StudyFirstLessonAsync("cpu-and-gpu")));
            foreach (var s in students)
            {
                Assert.Empty(s.Tab.Errors);
                Assert.True(s.Tab.Locked(s.ShowsMyName), $"{s.Name} is not shown as signed in");
                var questions = s.Tab.Locked(d => d.ByTestId("check-question").ToList());
                Assert.NotEmpty(questions);
                // Each question was answered until right, and the page shows it: the explanation came in a render batch.
                Assert.All(questions, q => Assert.Equal("yes", s.Tab.Locked(_ => q.Descendants().First(e => e["data-testid"] == "check-explanation")["data-correct"])));
                Assert.Contains(s.Clicks, c => c.What == "open lesson 1");
                Assert.True(s.Clicks.Count(c => c.What == "answer a check question") >= questions.Count);
                Assert.All(s.Clicks, c => Assert.InRange(c.Milliseconds, 0.01, Step.TotalMilliseconds));
            }
        }
        finally
        {
            foreach (var s in students) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task AfterTheServerIsKilledAndStarted_EveryHeadlessStudentComesBackByItself_AsThemselves()
    {
        var students = await ClassAsync("Edsger Dijkstra", "Barbara Liskov", "Donald Knuth");
        try
        {
            await server.KillAndRestartAsync();
            // Their circuits died with the process: each tab finds its circuit gone and loads its page again, with its cookie.
            var deadline = DateTime.UtcNow + Step;
            while (students.Any(s => s.Tab.CameBackAt is null) && DateTime.UtcNow < deadline) await Task.Delay(100);
            foreach (var s in students)
            {
                Assert.True(s.Tab.CameBackAt is not null, $"{s.Name} did not come back: {string.Join("; ", s.Tab.Errors)}");
                Assert.Equal(1, s.Tab.Reloads);
                Assert.True(s.Tab.Locked(s.ShowsMyName));
            }
            // And the new circuit answers clicks.
            await students[0].StudyFirstLessonAsync("cpu-and-gpu");
            Assert.Contains(students[0].Clicks, c => c.What == "answer a check question");
        }
        finally
        {
            foreach (var s in students) await s.DisposeAsync();
        }
    }
}
