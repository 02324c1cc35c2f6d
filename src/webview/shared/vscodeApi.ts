// The one place that touches acquireVsCodeApi (VS Code injects it into every webview). Typed per
// panel by its protocol: what it may post, what it receives, what it persists.

interface VsCodeWebviewApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeWebviewApi;

export interface HostChannel<ToHost, State> {
  post(message: ToHost): void;
  /** The state saved by an earlier load of this panel (after a reload or being hidden), if any. */
  readonly savedState: State | undefined;
  saveState(state: State): void;
}

/**
 * Connects to the host: listens for its messages, then says `ready` (the handshake: the host
 * sends nothing before it). `ToHost` must include `{ type: 'ready' }`.
 */
export function connectToHost<ToHost extends { type: string }, FromHost, State>(
  onMessage: (message: FromHost) => void,
  ready: ToHost,
): HostChannel<ToHost, State> {
  const api = acquireVsCodeApi(); // may be called once per page
  window.addEventListener('message', (event: MessageEvent<FromHost>) => onMessage(event.data));
  const channel: HostChannel<ToHost, State> = {
    post: (message) => api.postMessage(message),
    savedState: (api.getState() ?? undefined) as State | undefined,
    saveState: (state) => api.setState(state),
  };
  api.postMessage(ready);
  return channel;
}
