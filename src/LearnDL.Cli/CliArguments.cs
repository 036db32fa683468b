namespace LearnDL.Cli;

/// <summary>A command line: the command, its --options and flags. Bad input throws <see cref="UsageException"/>.</summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public string Command { get; }

    public CliArguments(IReadOnlyList<string> args, IReadOnlySet<string> flagNames)
    {
        Command = args.Count > 0 ? args[0] : "help";
        for (int i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"Unexpected argument '{arg}'.");
            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[2..eq] : arg[2..];
            if (flagNames.Contains(name) && eq < 0) { _flags.Add(name); continue; }
            var value = eq > 0 ? arg[(eq + 1)..] : i + 1 < args.Count ? args[++i] : throw new UsageException($"--{name} needs a value.");
            _options[name] = value;
        }
    }

    public bool Flag(string name) { _used.Add(name); return _flags.Contains(name); }

    public string? Text(string name) { _used.Add(name); return _options.GetValueOrDefault(name); }

    public int Int(string name, int fallback, int min, int max)
    {
        var text = Text(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, out var value) || value < min || value > max)
            throw new UsageException($"--{name} must be a whole number from {min} to {max}; got '{text}'.");
        return value;
    }

    public double Double(string name, double fallback, double minExclusive, double maxExclusive)
    {
        var text = Text(name);
        if (text is null) return fallback;
        if (!double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) || value <= minExclusive || value >= maxExclusive)
            throw new UsageException($"--{name} must be a number between {minExclusive} and {maxExclusive}; got '{text}'.");
        return value;
    }

    /// <summary>Fails on options the command did not read, so a typo is never silently ignored.</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Concat(_flags).Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new UsageException($"Unknown option{(unknown.Count > 1 ? "s" : "")} for '{Command}': {string.Join(", ", unknown.Select(u => "--" + u))}.");
    }
}

public sealed class UsageException(string message) : Exception(message);

/// <summary>Arguments that are well formed but name something that cannot be used (a picture refused); exits 2 without the usage text.</summary>
public sealed class InputRefusedException(string message) : Exception(message);
