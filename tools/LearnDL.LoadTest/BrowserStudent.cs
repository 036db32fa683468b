using LearnDL.Testing.Circuits;
using Microsoft.Playwright;

namespace LearnDL.LoadTest;

/// <summary>
/// The one real student in the headless class: a Chromium page doing the same script, its clicks timed
/// the same way (from the click to the page showing its answer, measured inside the page: the click is
/// dispatched there and a MutationObserver sees the answer arrive).
/// </summary>
public sealed class BrowserStudent(IBrowser browser, string baseUrl, string name)
{
    private IPage _page = null!;
    public List<TimedClick> Clicks { get; } = [];
    public List<string> Errors { get; } = [];

    public async Task ArriveAsync()
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        _page = await context.NewPageAsync();
        _page.SetDefaultTimeout(120_000);
        _page.PageError += (_, e) => Errors.Add(e);
        await _page.GotoAsync(baseUrl + "/join");
        await _page.Locator("#name").FillAsync(name);
        await _page.Locator("#join").ClickAsync();
        await _page.Locator("[data-interactive=yes]").WaitForAsync();
        await _page.Locator("#who-am-i").Filter(new() { HasText = name }).WaitForAsync();
    }

    public async Task StudyFirstLessonAsync(string slug, Func<Task> think)
    {
        await think();
        await ClickAsync("open the lessons", "a[href='/lessons']", "document.querySelector('#lesson-progress')");
        await think();
        await ClickAsync("open lesson 1", $"a[href='/lessons/{slug}']",
            "document.querySelector('[data-testid=check-question]') && document.querySelector('[data-testid=try-it] button:not([disabled])')");
        var questions = await _page.Locator("[data-testid=check-question]").EvaluateAllAsync<string[]>("qs => qs.map(q => q.dataset.question)");
        var random = new Random(name.GetHashCode());
        foreach (var question in questions)
        {
            var answers = await _page.Locator($"[data-question='{question}'] [data-testid=check-answer]").CountAsync();
            var first = random.Next(answers);
            for (var k = 0; k < answers; k++)
            {
                var choice = (first + k) % answers;
                await think();
                var button = $"[data-question='{question}'] [data-testid=check-answer]:nth-of-type({choice + 1})";
                await ClickAsync("answer a check question", button,
                    $"document.querySelector(\"{button}\").getAttribute('aria-pressed') === 'true' && document.querySelector(\"[data-question='{question}'] [data-testid=check-explanation]\")");
                if (await _page.Locator($"[data-question='{question}'] [data-testid=check-explanation]").GetAttributeAsync("data-correct") == "yes") break;
            }
        }
    }

    public async Task WatchTryItAsync()
    {
        await ClickAsync("run the Try-it", "[data-testid=try-it] button", "document.querySelector('[data-testid=try-it] [data-status]')");
        await _page.Locator("[data-testid=try-it] [data-status=Completed], [data-testid=try-it] [data-status=Failed], [data-testid=try-it] [data-status=Interrupted]")
            .WaitForAsync(new() { Timeout = 600_000 });
    }

    public async Task NextLessonAsync(Func<Task> think)
    {
        await think();
        await ClickAsync("open lesson 2", "#next-lesson",
            "document.querySelector('nav.breadcrumb [aria-current=page]')?.textContent.startsWith('Lesson 2') && document.querySelector('[data-testid=check-question]')");
    }

    /// <summary>Clicks <paramref name="selector"/> inside the page and times it to the DOM change after which <paramref name="answered"/> holds.</summary>
    private async Task ClickAsync(string what, string selector, string answered)
    {
        await _page.Locator(selector).First.WaitForAsync();
        var ms = await _page.EvaluateAsync<double>($$"""
            () => new Promise((resolve, reject) => {
              const answered = () => { try { return !!({{answered}}); } catch { return false; } };
              const start = performance.now();
              const observer = new MutationObserver(() => {
                if (answered()) { observer.disconnect(); clearTimeout(timer); resolve(performance.now() - start); }
              });
              observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
              const timer = setTimeout(() => { observer.disconnect(); reject(new Error('no answer in 60 s')); }, 60000);
              document.querySelector("{{selector}}").click();
            })
            """);
        Clicks.Add(new(what, ms));
    }

    public async Task CloseAsync() => await _page.Context.CloseAsync();
}
