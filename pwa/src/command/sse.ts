/**
 * The parts of a Server-Sent Events client that need no network: the wire format parser and the
 * reconnect delay. Kept pure so they are unit-tested; live.ts does the I/O.
 */

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

/**
 * Parses complete events out of `buffer` (text received so far); returns them and the incomplete
 * tail to keep. Follows the WHATWG rules that matter here: blank line ends an event, `data:` lines
 * join with "\n", lines starting with ":" are comments (keep-alives), one optional space after
 * the colon is dropped, CRLF and CR line ends count.
 */
export function parseSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const text = buffer.replace(/\r\n?/g, "\n");
  const blocks = text.split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let event = "message";
    const data: string[] = [];
    let id: string | undefined;
    let retry: number | undefined;
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (name === "event") event = value;
      else if (name === "data") data.push(value);
      else if (name === "id") id = value;
      else if (name === "retry" && /^\d+$/.test(value)) retry = Number(value);
    }
    if (data.length) messages.push({ event, data: data.join("\n"), id, retry });
  }
  return { messages, rest };
}

/**
 * Delay before reconnect attempt `attempt` (0-based): 1 s doubling to a 30 s ceiling, with up to
 * a quarter of jitter so a hundred command screens do not reconnect in the same instant after a
 * server restart. `random` is injectable for the tests.
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.75 + 0.25 * random()));
}
