using Bunit;
using LearnDL.Web.Components.Layout;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Instructor;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Identity;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace LearnDL.Web.Tests.Layout;

/// <summary>The menu every page shows: drawn as MudBlazor draws its navigation, one component for all its links.</summary>
public sealed class NavMenuTests : RunServiceContext
{
    private readonly MemoryProgressStore _progress = new();
    private readonly LessonCatalog _catalog = new(Path.Combine(AppContext.BaseDirectory, "lessons"));

    public NavMenuTests()
    {
        Services.AddSingleton(_catalog);
        Services.AddSingleton<IProgressStore>(_progress);
        Services.AddScoped<LessonProgress>();
        Services.AddSingleton<ClassStateStore>();
        Services.AddSingleton<ClassSettings>();
        var learner = RunOwner.NewLearner();
        AddAuthorization().SetAuthorized(learner.Name).SetClaims(learner.ToPrincipal("test").Claims.ToArray());
        Services.AddScoped<CurrentOwner>();
    }

    [Fact]
    public void EveryPlaceIsALink_AndThePageShownIsMarkedCurrent()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/lessons/cpu-and-gpu");
        var menu = Render<NavMenu>();

        var hrefs = menu.FindAll("a.mud-nav-link").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["/", "/lessons", .. _catalog.All.Select(l => $"/lessons/{l.Slug}"), "/replay", "/runs/new", "/runs", "/compare", "/datasets", "/doctor"], hrefs);
        var current = Assert.Single(menu.FindAll("a[aria-current=page]"));
        Assert.Equal("/lessons/cpu-and-gpu", current.GetAttribute("href"));
        Assert.Contains("active", current.ClassList);

        // In-app navigation moves the mark; "All lessons" and "History" match their own page only, others what lies under them too.
        Services.GetRequiredService<NavigationManager>().NavigateTo("/runs/3f2a?tab=charts");
        menu.WaitForAssertion(() => Assert.Empty(menu.FindAll("a[aria-current=page]")));
        Services.GetRequiredService<NavigationManager>().NavigateTo("/datasets/builtin");
        menu.WaitForAssertion(() => Assert.Equal("/datasets", menu.Find("a[aria-current=page]").GetAttribute("href")));
    }

    [Fact]
    public async Task LessonsRead_AreTicked_AndCounted_AsTheyAreRead()
    {
        var menu = Render<NavMenu>();
        menu.WaitForAssertion(() => Assert.Contains("(0/9 read)", menu.Find("#nav-lessons").TextContent));
        Assert.Empty(menu.FindAll("#nav-lessons-list a svg"));

        await menu.InvokeAsync(() => Services.GetRequiredService<LessonProgress>().MarkReadAsync(_catalog.Find("transfer-learning")!));

        menu.WaitForAssertion(() => Assert.Contains("(1/9 read)", menu.Find("#nav-lessons").TextContent));
        var ticked = Assert.Single(menu.FindAll("#nav-lessons-list a:has(svg)"));
        Assert.Equal("/lessons/transfer-learning", ticked.GetAttribute("href"));
    }

    [Fact]
    public void TheLessonsGroup_FoldsAndUnfolds_SayingSo()
    {
        var menu = Render<NavMenu>();
        var toggle = menu.Find("#nav-lessons > button");
        Assert.Equal("true", toggle.GetAttribute("aria-expanded"));
        Assert.Equal("nav-lessons-list", toggle.GetAttribute("aria-controls"));

        toggle.Click();
        Assert.Equal("false", menu.Find("#nav-lessons > button").GetAttribute("aria-expanded"));
        Assert.Empty(menu.FindAll("#nav-lessons-list"));

        menu.Find("#nav-lessons > button").Click();
        Assert.Equal(10, menu.FindAll("#nav-lessons-list a").Count);
    }

    [Fact]
    public void FollowingALink_TellsTheDrawer_WhichClosesOnASmallScreen()
    {
        var drawer = new Drawer();
        var menu = Render<CascadingValue<MudBlazor.Interfaces.INavigationEventReceiver>>(p => p
            .Add(c => c.Value, drawer).AddChildContent<NavMenu>());
        menu.Find("a[href='/compare']").Click();
        Assert.Equal(1, drawer.Navigations);
    }

    [Fact]
    public void InsideMudBlazorsDrawer_TheMenuHasItsDrawer()
    {
        var layout = Render<MudDrawer>(p => p.AddChildContent<NavMenu>());
        Assert.IsType<MudDrawer>(layout.FindComponent<NavMenu>().Instance.Drawer);
    }

    private sealed class Drawer : MudBlazor.Interfaces.INavigationEventReceiver
    {
        public int Navigations { get; private set; }
        public Task OnNavigation() { Navigations++; return Task.CompletedTask; }
    }
}

public class NavMenuLinksTests
{
    [Theory]
    [InlineData("", "/", true, true)]
    [InlineData("lessons", "/", true, false)]
    [InlineData("lessons", "/lessons", true, true)]
    [InlineData("lessons/", "/lessons", true, true)]
    [InlineData("lessons/cpu-and-gpu", "/lessons", true, false)]
    [InlineData("Lessons/CPU-and-GPU?from=lms#q2", "/lessons/cpu-and-gpu", false, true)]
    [InlineData("compare/runs?a=1", "/compare", false, true)]
    [InlineData("comparisons", "/compare", false, false)]
    [InlineData("runs/new", "/runs", true, false)]
    public void APageIsCurrent_ForItsOwnLink_AndForItsSectionsUnlessExact(string page, string href, bool exact, bool current) =>
        Assert.Equal(current, NavMenuLinks.IsCurrent(page, href, exact));
}
