using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace LearnDL.Web.Identity;

/// <summary>
/// A circuit's sign-in, kept in step with the class's register. The cookie is checked on every request
/// (<see cref="OwnerCookie"/>), but an open page's circuit keeps the sign-in it started with: without this, a
/// student the instructor removed or merged away could go on starting runs, answering and uploading in a tab
/// left open, and a renamed one would go on under the old name. The register's changes arrive at once
/// (<see cref="StudentRegistry.Changed"/>), and the register is read again every <see cref="RecheckEvery"/> in
/// case a change came some other way. A renamed student becomes their new name; one no longer in the register
/// becomes no one (the layout then sends the tab to the join page, see WhoAmI).
/// </summary>
public sealed class ClassRegisterAuthenticationState : ServerAuthenticationStateProvider, IDisposable
{
    public static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(20);

    private readonly StudentRegistry _students;
    private readonly ITimer _timer;
    private volatile bool _disposed;
    private volatile RunOwner? _student;

    public ClassRegisterAuthenticationState(StudentRegistry students, TimeProvider time)
    {
        _students = students;
        AuthenticationStateChanged += Follow;
        _students.Changed += OnRegisterChanged;
        _timer = time.CreateTimer(_ => _ = RecheckAsync(), null, RecheckEvery, RecheckEvery);
    }

    /// <summary>Remembers which student this circuit is, whenever its sign-in is set (by the framework, or here).</summary>
    private void Follow(Task<AuthenticationState> state) => state.ContinueWith(
        set => _student = set.IsCompletedSuccessfully && RunOwner.From(set.Result.User) is { Role: OwnerRole.Student } student ? student : null,
        CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private void OnRegisterChanged(string studentId, string? name)
    {
        if (_student is { } student && student.Id == studentId) Become(student, name);
    }

    private async Task RecheckAsync()
    {
        if (_student is not { } student || _disposed) return;
        string? name;
        try { name = (await _students.FindAsync(student.Id))?.Name; }
        catch (Exception) { return; } // the database is busy or gone with the app: the next check will tell
        // A change announced while the register was read is newer than what was read.
        if (ReferenceEquals(_student, student)) Become(student, name);
    }

    private void Become(RunOwner student, string? name)
    {
        if (name == student.Name || _disposed) return;
        var user = name is null ? new ClaimsPrincipal(new ClaimsIdentity()) : (student with { Name = name }).ToPrincipal(OwnerCookie.Scheme);
        SetAuthenticationState(Task.FromResult(new AuthenticationState(user)));
    }

    public void Dispose()
    {
        _disposed = true;
        _students.Changed -= OnRegisterChanged;
        AuthenticationStateChanged -= Follow;
        _timer.Dispose();
    }
}
