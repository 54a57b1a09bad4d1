/**
 * The case timeline (责任倒查) on every dispute and dispatch order: who did what when, in words,
 * from GET /api/records/{collection}/{id}/timeline. The history is the server's (facts and
 * audit), so it needs a network; offline the card says so. The last answer per record is kept in
 * memory so a live re-render of the detail screen does not flash "loading".
 */
import { h } from "../../dom";
import { enumLabel, errorText, fieldLabel, t } from "../../i18n";
import { formatDateTime } from "../../format";
import { section } from "../../widgets";
import { getTimeline, type TimelineEvent } from "../../../command/api";
import "./text";

const cache = new Map<string, TimelineEvent[]>();

function valueText(collection: string, field: string | null, v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "object") return Array.isArray(v) ? v.map(String).join("、") : "…";
  return field ? enumLabel(collection, field, v) : String(v);
}

/** One event as a sentence: "2026-11-03 09:12 网格员 张伟（网格员）：状态：已登记 → 调解中". */
export function eventText(collection: string, e: TimelineEvent): string {
  // `what` is a field name for a change of one field (status, risk_level …), else a word of
  // the audit (created, updated, deleted) or a sentence the server already wrote.
  const field = e.field ?? (/^[a-z_]+$/.test(e.what) && !["created", "updated", "deleted"].includes(e.what) ? e.what : null);
  if (field && (e.from !== undefined || e.to !== undefined) && (e.from !== null || e.to !== null)) {
    const label = fieldLabel(field);
    return e.from === null || e.from === undefined
      ? t("tl_set", { field: label, to: valueText(collection, field, e.to) })
      : t("tl_change", { field: label, from: valueText(collection, field, e.from), to: valueText(collection, field, e.to) });
  }
  if (e.what === "created") return t("tl_created");
  if (e.what === "deleted") return t("tl_deleted");
  return e.what;
}

function render(list: HTMLElement, collection: string, events: TimelineEvent[]): void {
  list.replaceChildren(
    ...(events.length
      ? events.map((e) => h("li", { class: "tl-event" },
          h("time", { datetime: e.at }, formatDateTime(e.at)),
          h("span", { class: "tl-who" }, `${e.who || t("tl_system")}${e.role ? `（${enumLabel("users", "role", e.role)}）` : ""}`),
          h("span", { class: "tl-what" }, eventText(collection, e))))
      : [h("li", { class: "empty" }, t("tl_empty"))]),
  );
}

/** The timeline card for a record's detail screen; fills itself in when the answer arrives. */
export function timelineSection(collection: string, id: string): HTMLElement {
  const key = `${collection}/${id}`;
  const list = h("ol", { class: "timeline", "data-timeline": key });
  const card = section(t("tl_title"), list);
  const cached = cache.get(key);
  if (cached) render(list, collection, cached);
  else list.appendChild(h("li", { class: "muted" }, t("cmd_loading")));
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    if (!cached) list.replaceChildren(h("li", { class: "muted tl-offline" }, t("tl_offline")));
    else card.appendChild(h("p", { class: "muted tl-offline" }, t("tl_offline")));
    return card;
  }
  getTimeline(collection, id).then(
    (r) => {
      cache.set(key, r.events);
      render(list, collection, r.events);
    },
    (e: unknown) => {
      if (cached) return;
      const network = (e as Error)?.name === "NetworkError";
      // The server's own words only when it sent a known code; never a raw status line.
      const code = (e as { code?: string }).code;
      list.replaceChildren(h("li", { class: network ? "muted tl-offline" : "error" },
        network ? t("tl_offline") : code && !code.startsWith("http_") && errorText(code) !== code ? errorText(code) : t("tl_unavailable")));
    },
  );
  return card;
}
