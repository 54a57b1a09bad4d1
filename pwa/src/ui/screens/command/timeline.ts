/**
 * The case timeline (责任倒查) on every dispute and dispatch order: who did what when, in words,
 * from GET /api/records/{collection}/{id}/timeline. The history is the server's (facts and
 * audit), so it needs a network; offline the card says so. The last answer per record is kept in
 * memory so a live re-render of the detail screen does not flash "loading".
 */
import { h } from "../../dom";
import { enumLabel, errorText, fieldLabel, lang, t } from "../../i18n";
import { formatDateTime } from "../../format";
import { section } from "../../widgets";
import { getTimeline, type TimelineEvent } from "../../../command/api";
import "./text";

const cache = new Map<string, TimelineEvent[]>();

/**
 * One event as words. The server writes `what` as a sentence in the asked language; a bare code
 * (an older server) is put in words here from the field and the values.
 */
export function eventText(collection: string, e: TimelineEvent): string {
  if (!/^[a-z_]+$/.test(e.what)) return e.what;
  if (e.what === "created") return t("tl_created");
  if (e.what === "deleted") return t("tl_deleted");
  const field = e.field ?? e.what;
  const label = fieldLabel(field);
  const value = (v: unknown) => (v === null || v === undefined || v === "" ? "—" : enumLabel(collection, field, v));
  return e.from === null || e.from === undefined
    ? t("tl_set", { field: label, to: value(e.to) })
    : t("tl_change", { field: label, from: value(e.from), to: value(e.to) });
}

/** "网格员 张伟（网格员）"; the server's own steps (deadline job, rules) just "系统". */
function whoText(e: TimelineEvent): string {
  if (!e.who) return e.role || t("tl_system");
  return e.role && e.role !== e.who ? (lang() === "zh" ? `${e.who}（${e.role}）` : `${e.who} (${e.role})`) : e.who;
}

function render(list: HTMLElement, collection: string, events: TimelineEvent[]): void {
  list.replaceChildren(
    ...(events.length
      ? events.map((e) => h("li", { class: "tl-event" },
          h("time", { datetime: e.at }, formatDateTime(e.at)),
          h("span", { class: "tl-who" }, whoText(e)),
          h("span", { class: "tl-what" }, eventText(collection, e))))
      : [h("li", { class: "empty" }, t("tl_empty"))]),
  );
}

/** The timeline card for a record's detail screen; fills itself in when the answer arrives. */
export function timelineSection(collection: string, id: string): HTMLElement {
  const key = `${collection}/${id}/${lang()}`;
  const list = h("ol", { class: "timeline", "data-timeline": `${collection}/${id}` });
  const card = section(t("tl_title"), list);
  const cached = cache.get(key);
  if (cached) render(list, collection, cached);
  else list.appendChild(h("li", { class: "muted" }, t("cmd_loading")));
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    if (!cached) list.replaceChildren(h("li", { class: "muted tl-offline" }, t("tl_offline")));
    else card.appendChild(h("p", { class: "muted tl-offline" }, t("tl_offline")));
    return card;
  }
  getTimeline(collection, id, lang()).then(
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
