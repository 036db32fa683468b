using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Tests.RunService;

/// <summary>A run's page and the API read a run once: the run, whether the viewer is on it, and the rules' answer from that.</summary>
public class RunViewsTests
{
    private static RunRecord Stored(Guid id, string ownerId, bool classDemo = false) => new()
    {
        Id = id, CreatedAt = DateTimeOffset.UtcNow, Status = RunStatus.Completed, OwnerId = ownerId, ClassDemo = classDemo,
        Dataset = "builtin", Images = 12, Epochs = 1, DeviceRequested = "cpu",
    };

    [Fact]
    public async Task ForAsync_IsOneRead_AndTheRulesDecideWhatTheViewerMayDo()
    {
        await using var f = new QueueFixture(o => o.Class.InstructorPassphrase = "correct horse battery staple");
        var (sam, kim) = (new RunOwner("student-sam", "Sam", OwnerRole.Student), new RunOwner("student-kim", "Kim", OwnerRole.Student));
        var (samsRun, demo) = (Guid.NewGuid(), Guid.NewGuid());
        await f.Store.AddAsync(Stored(samsRun, sam.Id));
        await f.Store.AddAsync(Stored(demo, RunOwner.InstructorId, classDemo: true));
        var views = f.Get<RunViews>();

        var before = f.Reads.Count;
        var seen = await views.ForAsync(samsRun, sam);
        Assert.Equal(1, f.Reads.Count - before);
        Assert.Equal((samsRun, new RunAccess(See: true, Stop: false, Leave: true)), (seen!.View.Record.Id, seen.Access));

        Assert.Null(await views.ForAsync(samsRun, kim)); // another student's run is not there for them
        Assert.Equal(new RunAccess(See: true, Stop: false, Leave: false), (await views.ForAsync(demo, kim))!.Access); // a class demo: watch only
        Assert.Equal(new RunAccess(See: true, Stop: true, Leave: true), (await views.ForAsync(samsRun, RunOwner.Instructor))!.Access);
        Assert.Null(await views.ForAsync(Guid.NewGuid(), RunOwner.Instructor));
    }
}
