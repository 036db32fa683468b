// A page whose connection to the server dropped comes back by itself, however long the outage lasts.
// Blazor's own handler gives up after 30 tries (about six minutes) and ends in "reload the page", which
// every student of a class would have had to press. This one keeps trying, with waits that double up to
// a ceiling and are drawn at random, so a class's pages do not all reach the server in the same second;
// it tries at once when the tab is shown again, the network returns, or the student presses "Try now";
// and when the server answers but no longer knows the page (it was restarted), it reloads the page: the
// same address and cookies, so the student is back on the same page, with the same name and everything
// the server stored. Settings: LearnDL:Reconnect (Reconnection/ReconnectOptions.cs), read from the page.

/**
 * The wait in ms before try number `attempt` (0: the first after the drop): at most firstRetryMs doubled
 * `attempt` times, capped at maxRetryMs, and at least half of that. Always a number: the page never gives up.
 */
export function retryDelayMs(attempt, policy, random = Math.random) {
    const ceiling = Math.min(policy.maxRetryMs, policy.firstRetryMs * 2 ** Math.min(attempt, 32));
    return Math.round(ceiling * (0.5 + random() / 2));
}

/** The policy the server wrote into the display's data attributes. */
export function policyOf(element) {
    const ms = name => Number(element.dataset[name]);
    return { firstRetryMs: ms('firstRetryMs'), maxRetryMs: ms('maxRetryMs'), reloadJitterMs: ms('reloadJitterMs') };
}

/** Blazor's reconnection handler (Blazor.start's circuit.reconnectionHandler): onConnectionDown, onConnectionUp. */
export class Reconnection {
    #policy; #display; #reconnect;
    #down = false;
    #wake = null;

    /** `reconnect`: Blazor.reconnect: true when back, false when the server answered but the page's circuit is gone, throws when not reached. */
    constructor(policy, display, reconnect) {
        this.#policy = policy;
        this.#display = display;
        this.#reconnect = reconnect;
        window.addEventListener('online', () => this.tryNow());
        document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') this.tryNow(); });
        display.onTryNow(() => this.tryNow());
    }

    onConnectionDown(_options, _error, isClientPause) {
        // The app never pauses its circuit (Blazor.pauseCircuit); a drop while already reconnecting changes nothing.
        if (isClientPause || this.#down) return;
        this.#down = true;
        this.#display.show();
        this.#keepTrying();
    }

    onConnectionUp() {
        this.#down = false;
        this.#wake?.();
        this.#display.hide();
    }

    /** Ends the current wait: the next try starts now (nothing happens while a try is under way). */
    tryNow() { this.#wake?.(); }

    async #keepTrying() {
        let circuitGone = false;
        for (let attempt = 0; this.#down; attempt++) {
            const delay = retryDelayMs(attempt, this.#policy);
            this.#display.waiting(delay, attempt, navigator.onLine === false);
            await this.#sleep(delay);
            if (!this.#down) return;
            this.#display.trying(attempt + 1);
            try {
                // Once the circuit is gone, only the page's reload can help: wait until the server answers it.
                if (!circuitGone) {
                    if (await this.#reconnect()) { this.onConnectionUp(); return; }
                    circuitGone = true;
                    this.#display.reloading();
                    await this.#sleep(Math.random() * this.#policy.reloadJitterMs);
                }
                // The server answered a moment ago; a reload onto a server that went again would end on the
                // browser's error page, which never comes back by itself.
                const health = await fetch(new URL('healthz', document.baseURI), { cache: 'no-store' });
                if (health.ok) { location.reload(); return; }
            } catch {
                // Not reached: the server is down or restarting, or the network is. Try again after the next wait.
            }
        }
    }

    #sleep(ms) {
        return new Promise(resolve => {
            const done = () => { clearTimeout(timer); this.#wake = null; resolve(); };
            const timer = setTimeout(done, ms);
            this.#wake = done;
        });
    }
}

/** The "Reconnecting" card in App.razor: what is happening, in words, and a "Try now" button. */
export class ReconnectDisplay {
    #element; #message; #status; #button;
    #focusBefore = null;
    #delays = [];

    constructor(element) {
        this.#element = element;
        this.#message = element.querySelector('#reconnect-message');
        this.#status = element.querySelector('#reconnect-status');
        this.#button = element.querySelector('#reconnect-now');
        // A modal card: while it shows, Tab stays on its one button, wherever focus was.
        document.addEventListener('keydown', e => {
            if (e.key === 'Tab' && !this.#element.hidden) { e.preventDefault(); this.#button.focus(); }
        }, { capture: true });
    }

    onTryNow(handler) { this.#button.addEventListener('click', handler); }

    show() {
        this.#delays = [];
        this.#focusBefore = document.activeElement;
        this.#element.hidden = false;
        this.#button.focus();
    }

    hide() {
        this.#element.hidden = true;
        this.#element.dataset.state = 'connected';
        if (this.#focusBefore?.isConnected) this.#focusBefore.focus();
    }

    /** Waiting `delayMs` before try number attempt + 1. */
    waiting(delayMs, attempt, offline) {
        this.#say(offline
            ? 'This device is offline. This page will come back by itself when the network returns.'
            : 'The server is restarting or out of reach. This page will come back by itself.');
        this.#status.textContent = `Trying again in ${Math.max(1, Math.round(delayMs / 1000))} s.`;
        // What the page is doing, readable from the page (the browser's inspector, the end-to-end tests).
        this.#delays = [...this.#delays.slice(-19), delayMs];
        Object.assign(this.#element.dataset, { state: 'waiting', attempts: attempt, delaysMs: this.#delays.join(',') });
    }

    trying(attempt) {
        this.#status.textContent = 'Trying to reconnect now.';
        Object.assign(this.#element.dataset, { state: 'trying', attempts: attempt });
    }

    reloading() {
        this.#say('The server is back. This page is reloading itself.');
        this.#status.textContent = '';
        this.#element.dataset.state = 'reloading';
    }

    #say(text) { if (this.#message.textContent !== text) this.#message.textContent = text; }
}
