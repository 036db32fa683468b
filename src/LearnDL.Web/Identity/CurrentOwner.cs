using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;

namespace LearnDL.Web.Identity;

/// <summary>The owner behind this circuit or request, resolved once per scope from the sign-in cookie; and what the rules let them do.</summary>
public sealed class CurrentOwner(AuthenticationStateProvider authentication, IAuthorizationService authorization)
{
    private RunOwner? _owner;

    /// <summary>The owner, on every page the class's gate lets through (personal mode always has one).</summary>
    public async Task<RunOwner> GetAsync() => await FindAsync()
        ?? throw new InvalidOperationException("No owner: only /join, the sign-in pages and error pages are served without one.");

    /// <summary>The owner, or null on the pages open to everyone (/join, sign-in) for a visitor who has not joined.</summary>
    public async Task<RunOwner?> FindAsync()
    {
        if (_owner is not null) return _owner;
        var state = await authentication.GetAuthenticationStateAsync();
        return _owner = RunOwner.From(state.User);
    }

    /// <summary>Whether the rules (<see cref="Access"/>) let this owner do <paramref name="operation"/> to <paramref name="resource"/>.</summary>
    public async Task<bool> MayAsync(object resource, OperationAuthorizationRequirement operation) =>
        await authorization.AllowsAsync(await GetAsync(), resource, operation);
}
