using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace LearnDL.Cli;

/// <summary>
/// Where the CLI writes: with --json, stdout carries exactly one JSON document and everything else
/// goes to stderr; without it, tables go to stdout.
/// </summary>
public sealed class CliOutput
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public CliOutput(TextWriter stdout, TextWriter stderr, bool json)
    {
        IsJson = json;
        StdOut = stdout;
        StdErr = stderr;
        IsStdErrTerminal = ReferenceEquals(stderr, System.Console.Error) && !System.Console.IsErrorRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
        Progress = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });
    }

    public bool IsJson { get; }
    public TextWriter StdOut { get; }
    public TextWriter StdErr { get; }
    /// <summary>True when progress can be redrawn in place.</summary>
    public bool IsStdErrTerminal { get; }
    /// <summary>Human-readable results (stdout).</summary>
    public IAnsiConsole Console { get; }
    /// <summary>Progress and notes (stderr), so stdout stays clean for --json.</summary>
    public IAnsiConsole Progress { get; }

    public void WriteJson<T>(T value) => StdOut.WriteLine(JsonSerializer.Serialize(value, Json));
}
