using System.Security.Cryptography;
using System.Text.Json.Nodes;
using LearnDL.Web.Identity.Lti;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Tests.Lti;

/// <summary>A signing key standing in for the tool's, with the JWKS the tool would publish for it.</summary>
public sealed class ToolKey : IToolSigningCredentials, IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);

    public ToolKey(string kid = "tool-key-1") => Current = new SigningCredentials(new RsaSecurityKey(_rsa) { KeyId = kid }, SecurityAlgorithms.RsaSha256);

    public SigningCredentials Current { get; }

    public string Jwks
    {
        get
        {
            var p = _rsa.ExportParameters(false);
            return new JsonObject
            {
                ["keys"] = new JsonArray(new JsonObject
                {
                    ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = Current.Key.KeyId,
                    ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent),
                }),
            }.ToJsonString();
        }
    }

    public void Dispose() => _rsa.Dispose();
}
