using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LearnDL.Testing;

/// <summary>
/// Compiles C# shown to learners (a whole program with top-level statements) against what this test
/// build carries (the framework, ML.NET, ONNX Runtime) and runs it, so the code on the page is the code tested.
/// </summary>
public sealed class SnippetRunner
{
    private static readonly Lock ConsoleGate = new();
    private readonly MethodInfo _main;

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    // What `dotnet new console` brings with ImplicitUsings on.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private SnippetRunner(MethodInfo main) => _main = main;

    /// <summary>Compiles the program; a compile error fails with the compiler's messages.</summary>
    public static SnippetRunner Compile(string code)
    {
        var compilation = CSharpCompilation.Create(
            "Snippet" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(code, Parse), CSharpSyntaxTree.ParseText(ImplicitUsings, Parse)],
            References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (!emitted.Success) throw new InvalidOperationException("The snippet does not compile:\n" + string.Join("\n", errors));
        image.Position = 0;
        var assembly = AssemblyLoadContext.Default.LoadFromStream(image);
        return new(assembly.EntryPoint ?? throw new InvalidOperationException("The snippet has no entry point."));
    }

    /// <summary>Runs the program with these arguments; returns the lines it wrote.</summary>
    public IReadOnlyList<string> Run(params string[] args)
    {
        var output = new StringWriter();
        lock (ConsoleGate)
        {
            var before = Console.Out;
            Console.SetOut(output);
            try { _main.Invoke(null, _main.GetParameters().Length == 0 ? null : [args]); }
            catch (TargetInvocationException e) when (e.InnerException is not null) { throw e.InnerException; }
            finally { Console.SetOut(before); }
        }
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static IEnumerable<MetadataReference> References()
    {
        var framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var beside = Directory.GetFiles(AppContext.BaseDirectory, "*.dll").Where(IsManaged);
        return framework.Concat(beside).DistinctBy(Path.GetFileName).Select(p => MetadataReference.CreateFromFile(p));
    }

    private static bool IsManaged(string path)
    {
        try { AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }
}

/// <summary>The run page's model snippet, made to take its picture and model from the command line.</summary>
public sealed class ShownModelProgram
{
    private const string Picture = "\"my-picture.jpg\"";
    private readonly SnippetRunner _program;

    private ShownModelProgram(SnippetRunner program) => _program = program;

    /// <summary>From the code as the page shows it, which names the model by its download name.</summary>
    public static ShownModelProgram Compile(string shownCode, string modelDownloadName)
    {
        var model = $"\"{modelDownloadName}\"";
        if (!shownCode.Contains(Picture) || !shownCode.Contains(model))
            throw new InvalidOperationException($"The snippet no longer reads {Picture} and {model}:\n{shownCode}");
        return new(SnippetRunner.Compile(shownCode.Replace(Picture, "args[0]").Replace(model, "args[1]")));
    }

    /// <summary>Classifies the picture with the model; returns the class the program printed.</summary>
    public string Classify(string picture, string model)
    {
        var lines = _program.Run(picture, model);
        var printed = lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^(\S+) \(\d+\s?%\)")).FirstOrDefault(m => m.Success);
        return printed?.Groups[1].Value ?? throw new InvalidOperationException("The program printed no prediction: " + string.Join(" | ", lines));
    }
}
