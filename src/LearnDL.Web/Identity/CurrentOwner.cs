using Microsoft.AspNetCore.Components.Authorization;

namespace LearnDL.Web.Identity;

/// <summary>The owner behind this circuit or request, resolved once per scope from the sign-in cookie.</summary>
public sealed class CurrentOwner(AuthenticationStateProvider authentication)
{
    private RunOwner? _owner;

    public async Task<RunOwner> GetAsync()
    {
        if (_owner is not null) return _owner;
        var state = await authentication.GetAuthenticationStateAsync();
        // Without a cookie (a client that refuses them), the circuit is its own learner.
        return _owner = RunOwner.From(state.User) ?? RunOwner.NewLearner();
    }
}
