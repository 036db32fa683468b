// Tells a component when its tab is hidden or shown again, so a live page draws nothing while nobody
// can see it (on a laptop the browser shares the cores with the run it shows).
export function observe(component) {
    const report = () => component.invokeMethodAsync('OnVisibilityChanged', document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', report);
    if (document.visibilityState === 'hidden') report();
    return { stop: () => document.removeEventListener('visibilitychange', report) };
}
