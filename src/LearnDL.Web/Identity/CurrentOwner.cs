using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;

namespace LearnDL.Web.Identity;

/// <summary>
/// The owner behind this circuit or request, from its sign-in; and what the rules let them do. Read each time, not
/// kept: a circuit's sign-in follows the class's register (<see cref="ClassRegisterAuthenticationState"/>).
/// </summary>
public sealed class CurrentOwner(AuthenticationStateProvider authentication, IAuthorizationService authorization)
{
    /// <summary>
    /// The owner, on every page the class's gate lets through (personal mode always has one). A page whose student
    /// left the register meanwhile has none: <see cref="NotInClassException"/>.
    /// </summary>
    public async Task<RunOwner> GetAsync() => await FindAsync() ?? throw new NotInClassException();

    /// <summary>The owner, or null on the pages open to everyone (/join, sign-in) for a visitor who has not joined.</summary>
    public async Task<RunOwner?> FindAsync() => RunOwner.From((await authentication.GetAuthenticationStateAsync()).User);

    /// <summary>Whether the rules (<see cref="Access"/>) let this owner do <paramref name="operation"/> to <paramref name="resource"/>.</summary>
    public async Task<bool> MayAsync(object resource, OperationAuthorizationRequirement operation) =>
        await authorization.AllowsAsync(await GetAsync(), resource, operation);
}
