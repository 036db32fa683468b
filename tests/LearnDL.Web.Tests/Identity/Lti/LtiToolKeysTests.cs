using System.Text.Json;
using LearnDL.Web.Identity.Lti;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Tests.Lti;

/// <summary>The tool's own key pair: made once in the data folder, kept across restarts, rotated with the old key published a while.</summary>
public sealed class LtiToolKeysTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T06:00:00Z"));

    public void Dispose() => _temp.Dispose();

    private LtiToolKeys Keys() => new(Options.Create(new LearnDLOptions { DataFolder = _temp.Path }), _time, NullLogger<LtiToolKeys>.Instance);

    private static List<string> Kids(object jwks) =>
        JsonDocument.Parse(JsonSerializer.Serialize(jwks)).RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();

    [Fact]
    public void The_key_is_made_once_and_kept_across_restarts_in_the_data_folder()
    {
        string kid;
        using (var keys = Keys()) kid = keys.CurrentKeyId;
        using var again = Keys();
        Assert.Equal(kid, again.CurrentKeyId);
        Assert.Equal([kid], Kids(again.Jwks()));
        var file = Assert.Single(Directory.GetFiles(again.Folder, "*.json"));
        Assert.StartsWith(Path.Combine(_temp.Path, "keys"), file);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.DoesNotContain("PRIVATE", JsonSerializer.Serialize(again.Jwks()));
    }

    [Fact]
    public async Task A_token_the_tool_signs_is_checked_by_the_published_key_and_rotation_keeps_the_old_key_published_a_while()
    {
        using var keys = Keys();
        var handler = new JsonWebTokenHandler();
        var token = handler.CreateToken(new SecurityTokenDescriptor { Issuer = "tool", Audience = "platform", SigningCredentials = keys.SigningCredentials });
        var old = keys.CurrentKeyId;
        var fresh = keys.Rotate();
        Assert.NotEqual(old, fresh);
        Assert.Equal(fresh, keys.CurrentKeyId);
        var published = new JsonWebKeySet(JsonSerializer.Serialize(keys.Jwks()));
        Assert.Equal(new[] { old, fresh }.Order(), published.Keys.Select(k => k.Kid).Order());
        var result = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "tool", ValidAudience = "platform", IssuerSigningKeys = published.GetSigningKeys(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);

        _time.Advance(TimeSpan.FromDays(8)); // past RetiredKeyDays (7): the old key is no longer published, and its file is gone
        Assert.Equal([fresh], Kids(keys.Jwks()));
        Assert.Single(Directory.GetFiles(keys.Folder, "*.json"));
    }
}
