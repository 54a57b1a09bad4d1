/**
 * "Local data changed" notices, within this tab and to the other tabs and the service worker
 * (BroadcastChannel), so every open screen re-reads after a pull or an edit anywhere.
 */
type Listener = (msg: ChannelMessage) => void;

export type ChannelMessage =
  | { type: "data-changed" }
  | { type: "sync-finished"; at: number; error?: string }
  | { type: "wiped" }
  | { type: "switched" };

const listeners = new Set<Listener>();
let channel: BroadcastChannel | null = null;

function getChannel(): BroadcastChannel | null {
  if (channel || typeof BroadcastChannel === "undefined") return channel;
  channel = new BroadcastChannel("doorstep");
  channel.onmessage = (ev: MessageEvent<ChannelMessage>) => {
    for (const l of listeners) l(ev.data);
  };
  return channel;
}

export function broadcast(msg: ChannelMessage): void {
  for (const l of listeners) l(msg);
  getChannel()?.postMessage(msg);
}

export function onBroadcast(l: Listener): () => void {
  getChannel();
  listeners.add(l);
  return () => listeners.delete(l);
}
