using LearnDL.Web.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>
/// Who may do what, all in this file. Personal mode: the one user owns everything. Class mode:
/// nothing is served to a visitor who has not joined (pages redirect to /join, the API and the
/// live connection answer 401); a student sees the runs they are on and the class demos, uses
/// their own uploads and the class's, and may leave a run they are on (the last one leaving stops
/// it); the instructor sees, stops and deletes anything. Anything else is answered as if it did
/// not exist.
/// </summary>
public static class Access
{
    /// <summary>Someone who may use the app: in class mode a student or the instructor, in personal mode the learner.</summary>
    public const string Joined = "joined";

    /// <summary>The instructor of a class (nobody in personal mode, which has no class).</summary>
    public const string Instructor = "instructor";

    /// <summary>Who sees and drains the worker machines: the instructor of a class, the learner on a personal server.</summary>
    public const string Machines = "machines";

    public static readonly OperationAuthorizationRequirement See = new() { Name = nameof(See) };
    /// <summary>Stop a run for everyone on it.</summary>
    public static readonly OperationAuthorizationRequirement Stop = new() { Name = nameof(Stop) };
    /// <summary>Get off a run one is on; the last one off stops it.</summary>
    public static readonly OperationAuthorizationRequirement Leave = new() { Name = nameof(Leave) };
    public static readonly OperationAuthorizationRequirement Delete = new() { Name = nameof(Delete) };

    public static IServiceCollection AddAccessRules(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(Joined, p => p.AddRequirements(new JoinedRequirement()))
            .AddPolicy(Instructor, p => p.RequireRole(nameof(OwnerRole.Instructor)))
            .AddPolicy(Machines, p => p.AddRequirements(new MachinesRequirement()))
            // Every endpoint without a rule of its own (pages, /_blazor, /content) needs someone who joined.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().AddRequirements(new JoinedRequirement()).Build());
        // Registered by every wiring that needs the rules (the app, the run service, the datasets): once each.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, JoinedHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, MachinesHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, RunRules>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, UploadRules>());
        return services;
    }

    /// <summary>Whether <paramref name="owner"/> may do <paramref name="operation"/> to <paramref name="resource"/>.</summary>
    public static async Task<bool> AllowsAsync(this IAuthorizationService authorization, RunOwner owner, object resource, OperationAuthorizationRequirement operation) =>
        (await authorization.AuthorizeAsync(owner.ToPrincipal(OwnerCookie.Scheme), resource, operation)).Succeeded;

    /// <summary>Sees every run and every upload: the instructor, or the one user of a personal server.</summary>
    internal static bool SeesEverything(RunOwner owner, bool classMode) => !classMode || owner.IsInstructor;

    /// <summary>Said to a student the instructor removed, or merged into another name, whose open page or script still acts as them.</summary>
    public const string NoLongerInClass =
        "You are no longer in this class: the instructor removed your name or merged it into another. Join again with a name to go on.";

    /// <summary>
    /// The owner as the class's register has them now (a renamed student with their new name), or
    /// <see cref="NotInClassException"/> for a student it no longer holds. What starts runs, uploads or records
    /// lesson progress asks here, since an open page keeps its sign-in for a while (<see cref="ClassRegisterAuthenticationState"/>).
    /// </summary>
    public static async Task<RunOwner> InClassAsync(this StudentRegistry students, RunOwner owner) =>
        owner.Role != OwnerRole.Student ? owner : await students.FindAsync(owner.Id) ?? throw new NotInClassException();

    /// <summary>
    /// What <paramref name="owner"/> may do to one run, from what the rules read of it: the rule for runs, whether asked
    /// through <see cref="IAuthorizationService"/> (<see cref="RunRules"/>) or read with the run in one query (a run's page).
    /// </summary>
    public static RunAccess OnRun(RunOwner owner, bool classMode, bool isMember, bool classDemo) =>
        SeesEverything(owner, classMode) ? new(See: true, Stop: true, Leave: true)
        : owner.Role == OwnerRole.Learner ? new(See: false, Stop: false, Leave: false)
        : new(See: isMember || classDemo, Stop: false, Leave: isMember);

    /// <summary>Whose runs a list shows this owner: null for everyone's, else theirs (those they are on; in class mode, not the others').</summary>
    public static string? ListsRunsOf(RunOwner owner, bool classMode) => SeesEverything(owner, classMode) ? null : owner.Id;
}

/// <summary>A student no longer in the class's register tried to change something; the message says what to do.</summary>
public sealed class NotInClassException() : InvalidOperationException(Access.NoLongerInClass);

/// <summary>A run, for the rules: its id is enough, the rules read what they need.</summary>
public sealed record RunRef(Guid Id);

/// <summary>What someone may do to a run: see it, stop it for everyone, get off it (the last one off stops it).</summary>
public sealed record RunAccess(bool See, bool Stop, bool Leave)
{
    /// <summary>On the run, or allowed to stop any: may start it again for themselves.</summary>
    public bool OnIt => Stop || Leave;
}

/// <summary>What the run rules read of a run (the runs' store answers it; the rules need nothing else of the run service).</summary>
public interface IRunMembership
{
    /// <summary>Whether an owner is on a run (started or joined it, and has not left), and whether it is a class demo.</summary>
    Task<(bool IsMember, bool ClassDemo)> MembershipAsync(Guid runId, string ownerId);
}

public sealed class JoinedRequirement : IAuthorizationRequirement;

internal sealed class JoinedHandler(IOptions<LearnDLOptions> options) : AuthorizationHandler<JoinedRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, JoinedRequirement requirement)
    {
        var owner = RunOwner.From(context.User);
        // A personal-mode learner's cookie from before class mode was switched on is no one in the class.
        if (owner is not null && (!options.Value.Class.IsOn || owner.Role != OwnerRole.Learner)) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

public sealed class MachinesRequirement : IAuthorizationRequirement;

internal sealed class MachinesHandler(IOptions<LearnDLOptions> options) : AuthorizationHandler<MachinesRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, MachinesRequirement requirement)
    {
        if (RunOwner.From(context.User) is { } owner && Access.SeesEverything(owner, options.Value.Class.IsOn)) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Runs. See: those one is on, and the class demos. Leave: those one is on. Stop (for everyone): the
/// instructor, or the one user of a personal server. A shared run's starter who left it is no longer on it.
/// </summary>
internal sealed class RunRules(IRunMembership store, IOptions<LearnDLOptions> options) : AuthorizationHandler<OperationAuthorizationRequirement, RunRef>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, OperationAuthorizationRequirement operation, RunRef run)
    {
        if (RunOwner.From(context.User) is not { } owner || operation == Access.Delete) return;
        var classMode = options.Value.Class.IsOn;
        // Who sees everything needs nothing read; anyone else is answered from the run's membership.
        var (isMember, classDemo) = Access.SeesEverything(owner, classMode) || owner.Role == OwnerRole.Learner
            ? (false, false) : await store.MembershipAsync(run.Id, owner.Id);
        var access = Access.OnRun(owner, classMode, isMember, classDemo);
        if (operation == Access.See ? access.See : operation == Access.Stop ? access.Stop : operation == Access.Leave && access.Leave) context.Succeed(operation);
    }
}

/// <summary>Uploaded datasets. See (and run): one's own, and those for the whole class. Delete: one's own.</summary>
internal sealed class UploadRules(IOptions<LearnDLOptions> options) : AuthorizationHandler<OperationAuthorizationRequirement, UploadedDatasetRecord>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OperationAuthorizationRequirement operation, UploadedDatasetRecord upload)
    {
        if (RunOwner.From(context.User) is not { } owner) return Task.CompletedTask;
        var classMode = options.Value.Class.IsOn;
        var mine = upload.OwnerId == owner.Id && (!classMode || owner.Role != OwnerRole.Learner);
        var allowed = Access.SeesEverything(owner, classMode) || mine || (operation == Access.See && upload.ForClass);
        if (allowed && (operation == Access.See || operation == Access.Delete)) context.Succeed(operation);
        return Task.CompletedTask;
    }
}
