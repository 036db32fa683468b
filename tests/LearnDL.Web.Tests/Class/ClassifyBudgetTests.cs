using LearnDL.Testing;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests.Class;

/// <summary>The app with one finished run, and a classify budget small enough to meet in a test.</summary>
public sealed class ClassifyBudgetFixture : IAsyncLifetime
{
    public TempFolder Temp { get; } = new();
    public LearnDLFactory Factory { get; private set; } = null!;
    public Guid RunId { get; private set; }

    public async Task InitializeAsync()
    {
        Factory = new LearnDLFactory(Temp.Path, ("LearnDL:Classify:Burst", "3"), ("LearnDL:Classify:PerMinute", "1"),
            ("LearnDL:Classify:MemoryBytes", (16 * 1024 * 1024).ToString()));
        var client = Factory.CreateClient();
        RunId = await client.SubmitAsync(new { dataset = "builtin", images = 40, epochs = 1, device = "cpu" });
        Assert.Equal("completed", (await client.WaitForRunAsync(RunId))["status"]!.GetValue<string>());
    }

    public RunClassifier Classifier => Factory.Services.GetRequiredService<RunClassifier>();

    public Task DisposeAsync()
    {
        Factory.Dispose();
        Temp.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Classifying goes through a budget (issue 20, review item 7: ten tabs classifying a near-limit picture at once
/// added 252 MB; four tabs in a loop halved a running run's speed): one at a time per student, a few a minute,
/// the loaded model kept for the next picture, the memory of all classifications in progress bounded.
/// </summary>
[Collection("hostile pictures")]
public class ClassifyBudgetTests(ClassifyBudgetFixture f) : IClassFixture<ClassifyBudgetFixture>
{
    private static readonly byte[] Tile = Zips.Png(120, side: 64);

    private Task<ClassifyOutcome> Classify(RunOwner owner, byte[]? picture = null) =>
        f.Classifier.ClassifyAsync(f.RunId, new MemoryStream(picture ?? Tile), (picture ?? Tile).Length, owner);

    [Fact]
    public async Task Classify_ASecondOneAtOnceByTheSameStudent_IsRefused_WhileOthersGoOn()
    {
        var ada = RunOwner.NewLearner();
        var held = new HeldStream(Tile);
        var first = f.Classifier.ClassifyAsync(f.RunId, held, Tile.Length, ada);
        await held.Reading; // Ada's first picture is on its way in

        var second = await Classify(ada); // another tab of hers
        Assert.Null(second.Scores);
        Assert.Equal("You are already classifying a picture (perhaps in another tab). Wait for its answer, then send the next one.", second.Problem);
        Assert.Null((await Classify(RunOwner.NewLearner())).Problem); // someone else is not held up

        held.Release();
        Assert.Null((await first).Problem);
        Assert.Null((await Classify(ada)).Problem); // her turn again once it is answered
    }

    [Fact]
    public async Task Classify_ManyInAMinute_IsRateLimitedPerStudent()
    {
        var cy = RunOwner.NewLearner();
        for (int i = 0; i < 3; i++) Assert.Null((await Classify(cy)).Problem); // the burst
        var refused = await Classify(cy);
        Assert.Null(refused.Scores);
        Assert.Matches(@"^You have classified many pictures in a short time: 1 a minute can be classified\. Try again in \d+ seconds\.$", refused.Problem);
        Assert.Null((await Classify(RunOwner.NewLearner())).Problem); // per student
    }

    [Fact]
    public async Task Classify_TheSameRunAgain_ReusesItsLoadedModel()
    {
        Assert.Null((await Classify(RunOwner.NewLearner())).Problem);
        Assert.True(f.Classifier.Models.Contains(f.RunId));
        var loads = f.Classifier.Models.Loads;
        Assert.Null((await Classify(RunOwner.NewLearner())).Problem);
        Assert.Null((await Classify(RunOwner.NewLearner())).Problem);
        Assert.Equal(loads, f.Classifier.Models.Loads);
    }

    [Fact]
    public async Task Classify_PastTheMemoryBound_IsRefused_AloneOrWithOthersInProgress()
    {
        // 2,100 x 2,100 declared: 17.6 MB decoded, more than the 16 MB this server sets aside for classifying.
        var large = Zips.Png(40, side: 2100);
        var alone = await Classify(RunOwner.NewLearner(), large);
        Assert.Null(alone.Scores);
        Assert.StartsWith("That picture needs about 16.", alone.Problem);
        Assert.EndsWith("of memory to classify, more than the 16 MB this server sets aside for classifying (Classify:MemoryBytes). Send a smaller picture.", alone.Problem);

        // A 10 MB upload in progress holds 10 MB: a 1,300 x 1,300 picture (6.4 MB decoded) no longer fits beside it.
        var eve = RunOwner.NewLearner();
        var held = new HeldStream(Tile);
        var upload = f.Classifier.ClassifyAsync(f.RunId, held, 10 * 1024 * 1024, eve);
        await held.Reading;
        var medium = Zips.Png(80, side: 1300);
        var fay = RunOwner.NewLearner();
        var crowded = await Classify(fay, medium);
        Assert.Equal("The server is classifying other large pictures just now and has no memory to spare for this one. Try again in a minute, or send a smaller picture.", crowded.Problem);
        held.Release();
        Assert.Null((await upload).Problem);
        Assert.Null((await Classify(fay, medium)).Problem); // room again once the other is done
    }
}
