using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LearnDL.Web.Tests.Class;

/// <summary>
/// The review's small ones, through HTTP against the whole app: a folder: name answered with the server's working
/// directory, and form input with NUL or a tab answered 500. Each is now a plain 400 that names no server path.
/// </summary>
public class OddInputTests : ClassAppTests
{
    [Theory]
    [InlineData("folder:.")]
    [InlineData("folder:..")]
    [InlineData("folder:../..")]
    [InlineData("folder:/etc")]
    [InlineData("folder:~")]
    [InlineData("folder:a\u0000b")]
    [InlineData("folder:\u0001")]
    public async Task FolderDatasetErrors_NameOnlyTheOfferedFolders_NeverAServerPath(string dataset)
    {
        var ada = await StudentAsync("Ada");
        var response = await ada.Http.PostAsJsonAsync("/api/runs", new { dataset, images = 4, epochs = 1, device = "cpu" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>();
        Assert.Contains("Folder datasets are the subfolders of the server's data folder, listed on the Datasets page", detail);
        foreach (var path in new[] { Directory.GetCurrentDirectory(), Path.GetDirectoryName(Directory.GetCurrentDirectory())!, AppContext.BaseDirectory, _temp.Path, "/etc" })
            Assert.DoesNotContain(path.TrimEnd('/'), detail);
        Assert.DoesNotMatch(new Regex(@"/\w"), detail); // no absolute path of any kind
    }

    [Fact]
    public async Task FolderDatasetErrors_NameTheConfiguredRoots_AsTheDatasetsPageShowsThem()
    {
        using var temp = new TempFolder();
        using var elsewhere = new TempFolder(); // outside the data folder, so shown as configured
        var roots = Path.Combine(elsewhere.Path, "class-data");
        Directory.CreateDirectory(roots);
        using var factory = new LearnDLFactory(temp.Path, ("LearnDL:FolderRoots:0", roots));
        var response = await factory.CreateClient().PostAsJsonAsync("/api/runs", new { dataset = "folder:..", images = 4, epochs = 1, device = "cpu" });
        var detail = (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>();
        Assert.Equal($"That folder is not one this server offers. Folder datasets are the subfolders of {roots}, listed on the Datasets page (folder:NAME as shown there).", detail);
    }

    public static TheoryData<string, string, string, string> OddForms => new()
    {
        // page with the form, action, field, value
        { "/join", "/account/join", "name", "Al\u0000ice" },
        { "/join", "/account/join", "name", "Ada\u0007" },
        { "/join", "/account/join", "returnUrl", "/les\tsons" },
        { "/join", "/account/join", "returnUrl", "/runs\r\nSet-Cookie: x=1" },
        { "/join", "/account/join", "code", "gpu\u0000" },
        { "/instructor/sign-in", "/account/instructor-sign-in", "passphrase", "teach\u0000" },
        { "/instructor/sign-in", "/account/instructor-sign-in", "returnUrl", "/instructor\t" },
        { "/sign-out", "/account/sign-out", "returnUrl", "/\u0000" },
    };

    [Theory]
    [MemberData(nameof(OddForms))]
    public async Task AccountForms_WithControlCharacters_Answer400WithAPlainMessage_NeverA500(string page, string action, string field, string value)
    {
        var visitor = page == "/sign-out" ? await StudentAsync("Ada") : new Visitor(_factory);
        (string, string)[] fields = field switch
        {
            "returnUrl" => [(page == "/join" ? "name" : "passphrase", page == "/join" ? "Alice" : Passphrase), ("returnUrl", value)],
            _ => [(field, value), ("returnUrl", "/lessons")],
        };
        var response = await visitor.PostFormAsync(page, action, fields);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("This form could not be used", problem["title"]!.GetValue<string>());
        Assert.Contains("control characters", problem["detail"]!.GetValue<string>());
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(c => c.StartsWith("learndl.owner=")));
    }

    [Fact]
    public async Task JoinForm_APastedLineBreakInAName_IsOnlyASpace()
    {
        var visitor = new Visitor(_factory);
        Assert.Equal("/lessons", (await visitor.PostFormAsync("/join", "/account/join", ("name", "Ada\r\nLovelace"), ("returnUrl", "/lessons"))).Headers.Location!.ToString());
        Assert.Contains("You are in the class as <b>Ada Lovelace</b>", await visitor.Http.GetStringAsync("/join"));
    }
}
