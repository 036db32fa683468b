using System.Net;
using LearnDL.Testing.Lti;
using LearnDL.Web.Data;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests.Lti;

/// <summary>The app with the test platform registered (and no passphrase: LTI alone makes it a class), shared by a test class.</summary>
public sealed class LtiFixture : IAsyncLifetime
{
    private readonly TempFolder _temp = new();
    public TestPlatform Platform { get; private set; } = null!;
    public LearnDLFactory App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Platform = await TestPlatform.StartAsync();
        App = new LearnDLFactory(_temp.Path, [.. Platform.Settings()]);
        App.CreateClient().Dispose(); // start it
    }

    /// <summary>A browser of its own (its own cookies) at https://localhost: the LTI cookies are Secure.</summary>
    public HttpClient Browser() => App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("https://localhost") });

    public async Task<T> DbAsync<T>(Func<LearnDbContext, Task<T>> read)
    {
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<LearnDbContext>>().CreateDbContextAsync();
        return await read(db);
    }

    /// <summary>The student an LMS user became, by their <c>sub</c>, or null.</summary>
    public Task<StudentRecord?> StudentOfAsync(string subject) => DbAsync(db =>
        db.LtiUsers.Where(u => u.Issuer == Platform.Issuer && u.Subject == subject).Join(db.Students, u => u.StudentId, s => s.Id, (_, s) => s).SingleOrDefaultAsync());

    /// <summary>Whom the browser's cookie signs in: the instructor (their API answers), a student (a page opens, their API does not), or no one.</summary>
    public static async Task<string> WhoAsync(HttpClient browser)
    {
        var instructorApi = await browser.GetAsync("/api/instructor/students");
        if (instructorApi.StatusCode == HttpStatusCode.OK) return "instructor";
        var page = await browser.GetAsync("/lessons");
        return page.StatusCode == HttpStatusCode.OK ? "student" : "nobody";
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Platform.DisposeAsync();
        _temp.Dispose();
    }
}
