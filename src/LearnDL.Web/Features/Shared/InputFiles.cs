using Microsoft.JSInterop;

namespace LearnDL.Web.Features.Shared;

/// <summary>
/// When a Blazor InputFile can be used: it attaches its change listener by JS interop in its own first
/// after-render, and a file chosen before that is dropped without a word. Pages enable their file input
/// only once this completes.
/// </summary>
public static class InputFiles
{
    /// <summary>Completes after the InputFiles of the first interactive render are listening.</summary>
    public static async Task ListeningAsync(IJSRuntime js)
    {
        // Let the InputFile's own after-render send its set-up call first...
        await Task.Yield();
        // ...then one round trip: the browser handles interop calls in order, so the set-up is done when this returns.
        await js.InvokeAsync<bool>("document.hasFocus");
    }
}
