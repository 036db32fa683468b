using System.Text.Json;

namespace LearnDL.Web.Features.MyGpu;

/// <summary>The result inside an uploaded file: the line itself, or a saved notebook whose last cell printed it.</summary>
public static class GpuResultFile
{
    public static string ResultIn(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("cells", out var cells))
            {
                // A saved notebook: the printed line is in a code cell's stream output.
                foreach (var cell in cells.EnumerateArray().Reverse())
                    if (cell.TryGetProperty("outputs", out var outputs))
                        foreach (var output in outputs.EnumerateArray())
                            if (output.TryGetProperty("text", out var lines))
                            {
                                var printed = lines.ValueKind == JsonValueKind.Array ? string.Concat(lines.EnumerateArray().Select(l => l.GetString())) : lines.GetString() ?? "";
                                var line = printed.Split('\n').LastOrDefault(l => l.Contains(GpuResultParser.Kind, StringComparison.Ordinal));
                                if (line is not null) return line;
                            }
                return "";
            }
        }
        catch (JsonException) { }
        return text;
    }
}
