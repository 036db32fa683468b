using LearnDL.Web;
using LearnDL.Web.Identity;

// `--hash-passphrase`: reads the instructor's passphrase from standard input and prints its hash for
// LearnDL:Class:InstructorPassphraseHash, so the passphrase itself is kept in no file.
if (args.Contains("--hash-passphrase"))
{
    var passphrase = Console.IsInputRedirected ? Console.In.ReadToEnd() : ReadHidden();
    if (passphrase.Trim().Length < 8) { Console.Error.WriteLine("The passphrase must be at least 8 characters."); return 2; }
    Console.WriteLine(Passphrase.Hash(passphrase));
    return 0;
}

var builder = WebApplication.CreateBuilder(args);
// Package assets (_content/...) are served from the build output too, not only under `dotnet run`.
builder.WebHost.UseStaticWebAssets();
builder.AddLearnDL();

var app = builder.Build();
// `--rotate-lti-key`: a new LTI signing key for LearnDL; the old one stays published a while (Identity/Lti/LtiToolKeys.cs).
if (args.Contains("--rotate-lti-key"))
{
    Console.WriteLine($"New LTI key {app.Services.GetRequiredService<LearnDL.Web.Identity.Lti.LtiToolKeys>().Rotate()}; a running server publishes it within a minute.");
    return 0;
}
await app.UseLearnDLAsync();
app.Run();
return 0;

static string ReadHidden()
{
    Console.Error.Write("Instructor passphrase: ");
    var text = new System.Text.StringBuilder();
    for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
        else text.Append(key.KeyChar);
    Console.Error.WriteLine();
    return text.ToString();
}

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
