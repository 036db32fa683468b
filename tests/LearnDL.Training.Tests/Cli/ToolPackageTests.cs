using System.Diagnostics;
using System.Text.Json;
using LearnDL.Testing;

namespace LearnDL.Training.Tests;

/// <summary>
/// `learndl` as a .NET tool (issue 26), as the README tells a user to get it: the package `dotnet pack` makes,
/// restored through the repository's own manifest and NuGet config and run as `dotnet learndl`, and installed
/// into a tool path from the packages folder. The README's blocks are read and run as written; only the pack
/// reuses this checkout's build (the README's Release pack would build everything again).
/// </summary>
public class ToolPackageTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task Package_RunsThroughTheManifest_AndFromAToolPath_AsTheReadmeSays()
    {
        var repo = Repository.Root;
        var blocks = Readme.CheckedBlocks().Where(b => b.Any(l => l.Contains("learndl doctor"))).ToList();
        Assert.Equal(2, blocks.Count);
        var (manifest, install) = (blocks[0], blocks[1]);
        Assert.Equal(["dotnet pack src/LearnDL.Cli",
                      "dotnet tool restore --configfile .config/learndl-tools.nuget.config",
                      "dotnet learndl doctor"], manifest);
        Assert.Equal(["dotnet tool install --global LearnDL.Cli --source artifacts/tools", "learndl doctor"], install);

        using var clone = new TempFolder();
        // What a clone holds for these commands: the tool manifest and its NuGet config, and the packages folder.
        Directory.CreateDirectory(clone.Combine(".config"));
        foreach (var file in Directory.GetFiles(Path.Combine(repo, ".config")))
            File.Copy(file, clone.Combine(".config", Path.GetFileName(file)));
        var pack = await Shell(clone.Path, $"dotnet pack \"{Path.Combine(repo, "src", "LearnDL.Cli", "LearnDL.Cli.csproj")}\" -c {Configuration} --no-build -o artifacts/tools");
        Assert.True(pack.Code == 0, pack.Output);
        Assert.True(File.Exists(clone.Combine("artifacts", "tools", "LearnDL.Cli.1.0.0.nupkg")), pack.Output);

        var restore = await Shell(clone.Path, manifest[1]);
        Assert.True(restore.Code == 0, restore.Output);
        Assert.Contains("Available commands: learndl", restore.Output);
        var doctor = await Shell(clone.Path, manifest[2]);
        AssertDoctorRan(doctor);

        // A lab machine: the same package into a tool path (--global is the same install into ~/.dotnet/tools).
        var installAt = install[0].Replace("--global", $"--tool-path \"{clone.Combine("bin")}\"");
        var installed = await Shell(clone.Path, installAt);
        Assert.True(installed.Code == 0, installed.Output);
        AssertDoctorRan(await Shell(clone.Path, $"\"{clone.Combine("bin", "learndl")}\" doctor --json"), json: true);
    }

    private static void AssertDoctorRan((int Code, string Output, string StdOut) doctor, bool json = false)
    {
        Assert.True(doctor.Code == 0, doctor.Output);
        Assert.StartsWith("learndl doctor: checking this machine's CPU", doctor.Output.TrimStart());
        if (!json)
        {
            Assert.Contains("CPU build", doctor.Output);
            return;
        }
        using var report = JsonDocument.Parse(doctor.StdOut);
        Assert.Equal("cpu", report.RootElement.GetProperty("runtimeBuild").GetString());
    }

    /// <summary>Runs one README line with bash, as a user's terminal would, with a NuGet cache of its own.</summary>
    private static async Task<(int Code, string Output, string StdOut)> Shell(string folder, string line)
    {
        var start = new ProcessStartInfo("bash", ["-c", line])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // A cache of its own: a restored 1.0.0 is never unpacked again, so a shared cache would run an older build.
        start.Environment["NUGET_PACKAGES"] = Path.Combine(folder, "nuget-packages");
        // And a CLI home of its own: the CLI remembers where it found a local tool (~/.dotnet/toolResolverCache), and a
        // second run of this test was sent to the first run's deleted cache, told to run "dotnet tool restore" again.
        start.Environment["DOTNET_CLI_HOME"] = Path.Combine(folder, "cli-home");
        start.Environment["LearnDL__DataFolder"] = Path.Combine(folder, "data");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        var (output, errors) = (await stdout, await stderr);
        return (process.ExitCode, errors + output, output);
    }
}
