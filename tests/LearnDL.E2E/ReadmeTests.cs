using System.Diagnostics;
using System.Text.RegularExpressions;
using LearnDL.Testing;

namespace LearnDL.E2E;

/// <summary>The README's class-mode block, run as written (issue 26): the passphrase hashed, kept in an environment file, and the server started from it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // bash, file modes
public partial class ReadmeTests
{
    private const string Passphrase = "the readme's own passphrase";

    [Fact]
    public async Task ClassMode_HashedPassphraseInAnEnvironmentFile_SignsTheInstructorIn()
    {
        var block = Readme.CheckedBlocks().Single(b => b.Any(l => l.Contains("--hash-passphrase")));
        Assert.Equal(4, block.Count);
        Assert.StartsWith("dotnet out/LearnDL.Web.dll --urls http://0.0.0.0:5000", block[3]);

        var home = Directory.CreateTempSubdirectory("learndl-readme-").FullName;
        try
        {
            // out/ is the app's build; the first three lines run as one shell session, the passphrase typed on stdin.
            File.CreateSymbolicLink(Path.Combine(home, "out"), AppContext.BaseDirectory);
            var script = string.Join('\n', block.Take(3).Select(StripComment)) + "\nprintf '%s' \"$LearnDL__Class__InstructorPassphraseHash\"";
            var start = new ProcessStartInfo("bash", ["-c", script])
            {
                WorkingDirectory = home, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            start.Environment["HOME"] = home;
            using (var shell = Process.Start(start)!)
            {
                await shell.StandardInput.WriteLineAsync(Passphrase);
                shell.StandardInput.Close();
                var hash = await shell.StandardOutput.ReadToEndAsync();
                var errors = await shell.StandardError.ReadToEndAsync();
                await shell.WaitForExitAsync();
                Assert.True(shell.ExitCode == 0, errors);
                Assert.StartsWith("pbkdf2-sha256$", hash);
                Assert.DoesNotContain(Passphrase, await File.ReadAllTextAsync(Path.Combine(home, "learndl.env")));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(home, "learndl.env")));
                Assert.False(File.Exists(Path.Combine(home, "hash.txt")));

                // The last line: the server with the environment the file gave, here on a loopback port.
                await using var app = await AppProcess.StartAsync(AppContext.BaseDirectory, new Dictionary<string, string> { ["Class:InstructorPassphraseHash"] = hash });
                using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
                http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
                Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync(app.BaseUrl + "/api/instructor/queue")).StatusCode);
                foreach (var (attempt, expected) in new[] { ("not the passphrase", (string?)null), (Passphrase, "/instructor") })
                {
                    var form = await http.GetStringAsync(app.BaseUrl + "/instructor/sign-in");
                    var signIn = await http.PostAsync(app.BaseUrl + "/account/instructor-sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["passphrase"] = attempt, ["returnUrl"] = "/instructor", ["__RequestVerificationToken"] = Token().Match(form).Groups[1].Value,
                    }));
                    if (expected is null) Assert.NotEqual("/instructor", signIn.Headers.Location?.ToString());
                    else Assert.Equal(expected, signIn.Headers.Location?.ToString());
                }
                Assert.True((await http.GetAsync(app.BaseUrl + "/api/instructor/queue")).IsSuccessStatusCode, app.Log);
            }
        }
        finally { Directory.Delete(home, recursive: true); }
    }

    private static string StripComment(string line) => line.Split("  #")[0];

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
