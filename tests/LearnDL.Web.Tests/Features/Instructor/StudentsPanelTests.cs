using Bunit;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Instructor;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Identity;
using LearnDL.Web.Identity.Lti;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LearnDL.Web.Tests;

/// <summary>The dashboard's Students panel: the class-code switch, and a merge picker that tells look-alike names apart.</summary>
public class StudentsPanelTests : RunServiceContext
{
    public StudentsPanelTests() : base(o => o.Class.InstructorPassphrase = "teach-the-class-2026")
    {
        Services.AddSingleton(new LessonCatalog(Path.Combine(AppContext.BaseDirectory, "lessons")));
        Services.AddSingleton<ClassPulse>();
        Services.AddSingleton<StudentControls>();
        Services.AddSingleton<ClassCode>();
        // The panel shows the LMS's roster beside the students (empty without an LTI launch).
        Services.AddLti().AddLtiServices();
    }

    [Fact]
    public async Task JoinCodeSwitch_WithNoCode_SaysToTypeOneFirst_ThenRequiresTheCodeTyped()
    {
        var code = Services.GetRequiredService<ClassCode>();
        var cut = Render<JoinCodeSwitch>();
        var toggle = cut.FindComponent<MudSwitch<bool>>();

        await cut.InvokeAsync(() => toggle.Instance.ValueChanged.InvokeAsync(true));
        Assert.Contains("Type a class code first", cut.Find("#join-code-message").TextContent);
        Assert.False(code.Required);

        cut.FindComponent<MudTextField<string>>().Find("input").Change("owl-7");
        await cut.InvokeAsync(() => toggle.Instance.ValueChanged.InvokeAsync(true));
        Assert.True(code.Required);
        Assert.Equal("owl-7", code.Code);
        Assert.Contains("need the code owl-7", cut.Find("#join-code-message").TextContent);
        Assert.True(code.Admits(" OWL-7 "));
        Assert.False(code.Admits("owl"));
    }

    [Fact]
    public async Task MergePicker_NamesEachCandidateWithJoinTimeAndId_SoLookAlikeNamesCannotBeConfused()
    {
        var students = Services.GetRequiredService<StudentRegistry>();
        var dana = (await students.JoinAsync("Dana", null)).Owner!;
        var bob = (await students.JoinAsync("Bob", null)).Owner!;
        // "Dana" with an invisible filler, stored before the name checks.
        await using (var db = await Services.GetRequiredService<IDbContextFactory<LearnDbContext>>().CreateDbContextAsync())
        {
            db.Students.Add(new StudentRecord { Id = "student-0ld0ld0ld0ld0ld0", DisplayName = "Dana\u3164", NormalizedName = "old", CreatedAt = DateTimeOffset.UtcNow, LastSeenAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        var popovers = Render<MudPopoverProvider>();
        var cut = Render<StudentsPanel>();

        var bobsPicker = cut.FindComponents<MudSelect<string>>()[cut.FindAll("tr[data-student]").ToList().FindIndex(r => r.GetAttribute("data-student") == "Bob")];
        await cut.InvokeAsync(() => bobsPicker.Instance.OpenMenu());
        var items = popovers.FindAll(".mud-list-item").Select(i => i.TextContent).ToList();
        Assert.Contains(items, i => i.Contains(dana.Id) && i.Contains("joined"));
        Assert.Contains(items, i => i.Contains("student-0ld0ld0ld0ld0ld0") && i.Contains("joined"));
        Assert.DoesNotContain(items, i => i.Contains(bob.Id));
    }
}
