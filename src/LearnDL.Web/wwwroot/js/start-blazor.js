// Starts Blazor (App.razor loads blazor.web.js with autostart="false") with LearnDL's reconnection policy.
import { Reconnection, ReconnectDisplay, policyOf } from './reconnection.js';

const element = document.getElementById('reconnect');
const reconnection = new Reconnection(policyOf(element), new ReconnectDisplay(element), () => Blazor.reconnect());
Blazor.start({ circuit: { reconnectionHandler: reconnection } });
