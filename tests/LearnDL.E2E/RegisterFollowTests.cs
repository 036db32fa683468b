using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LearnDL.E2E;

/// <summary>
/// A student's tab left open while the instructor renames and then removes them, in Chromium: the open page
/// follows the register (the new name at once, then the join page with the reason), instead of going on as before.
/// </summary>
[Collection(ClassAppCollection.Name)]
public partial class RegisterFollowTests(ClassAppServer app)
{
    [Fact]
    public async Task StudentsOpenTab_ShowsTheNewName_AndIsSentToJoin_WhenTheInstructorRemovesThem()
    {
        var tab = await app.NewPageAsync();
        await tab.GotoAsync(app.BaseUrl + "/join?returnUrl=%2Flessons%2Fsame-script-cpu-or-gpu-build");
        await tab.Locator("#name").FillAsync("Rena Follow");
        await tab.Locator("#join").ClickAsync();
        await tab.WaitForURLAsync("**/lessons/same-script-cpu-or-gpu-build");
        await tab.WaitForCircuitAsync();
        await Assertions.Expect(tab.Locator("#who-am-i")).ToContainTextAsync("Rena Follow");

        using var instructor = await InstructorAsync();
        var students = (await instructor.GetFromJsonAsync<JsonArray>(app.BaseUrl + "/api/instructor/students"))!;
        var id = students.Single(s => s!["name"]!.GetValue<string>() == "Rena Follow")!["id"]!.GetValue<string>();

        var renamed = await instructor.PutAsJsonAsync($"{app.BaseUrl}/api/instructor/students/{id}/name", new { name = "Rena Renamed" });
        Assert.True(renamed.IsSuccessStatusCode, await renamed.Content.ReadAsStringAsync());
        await Assertions.Expect(tab.Locator("#who-am-i")).ToContainTextAsync("Rena Renamed"); // live, no reload

        Assert.True((await instructor.DeleteAsync($"{app.BaseUrl}/api/instructor/students/{id}")).IsSuccessStatusCode);
        await Assertions.Expect(tab.Locator("#join-error")).ToContainTextAsync("You are no longer in this class");
        Assert.Contains("/join?", tab.Url);
        Assert.Contains("returnUrl=%2Flessons%2Fsame-script-cpu-or-gpu-build", tab.Url);
        await Assertions.Expect(tab.Locator("#who-am-i")).ToHaveCountAsync(0); // the cookie went with the register
        await tab.Context.CloseAsync();
    }

    /// <summary>The instructor as a script: the sign-in form with its token, then the API with the cookie.</summary>
    private async Task<HttpClient> InstructorAsync()
    {
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        var form = await http.GetStringAsync(app.BaseUrl + "/instructor/sign-in");
        var signIn = await http.PostAsync(app.BaseUrl + "/account/instructor-sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["passphrase"] = ClassAppServer.Passphrase, ["returnUrl"] = "/instructor", ["__RequestVerificationToken"] = Token().Match(form).Groups[1].Value,
        }));
        Assert.Equal("/instructor", signIn.Headers.Location?.ToString());
        return http;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
