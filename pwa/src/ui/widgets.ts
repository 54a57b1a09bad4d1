/** Form controls and small display pieces shared by the screens. */
import { h, type Child } from "./dom";
import { enumLabel, errorText, t } from "./i18n";
import { isoToLocalInput } from "./format";
import { enumOf } from "../schema";
import { listRejected } from "../storage/outbox";
import type { RejectedEntry } from "../types";

export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h("label", { class: "field" }, h("span", { class: "label" }, label), control, hint ? h("small", null, hint) : null);
}

export function textInput(name: string, value: unknown, attrs: Record<string, unknown> = {}): HTMLInputElement {
  return h("input", { name, value: value == null ? "" : String(value), type: "text", ...attrs });
}

export function textArea(name: string, value: unknown, attrs: Record<string, unknown> = {}): HTMLTextAreaElement {
  const el = h("textarea", { name, rows: 4, ...attrs });
  el.value = value == null ? "" : String(value);
  return el;
}

export function dateTimeInput(name: string, iso: unknown, attrs: Record<string, unknown> = {}): HTMLInputElement {
  return h("input", { name, type: "datetime-local", value: isoToLocalInput(iso), ...attrs });
}

/** A select over a schema enum, labelled in the current language. */
export function enumSelect(
  collection: string,
  fieldName: string,
  value: unknown,
  opts: { name?: string; empty?: string; values?: string[]; required?: boolean } = {},
): HTMLSelectElement {
  const values = opts.values ?? enumOf(collection, fieldName);
  return h(
    "select",
    { name: opts.name ?? fieldName, required: opts.required },
    opts.empty !== undefined ? h("option", { value: "" }, opts.empty) : null,
    values.map((v) => h("option", { value: v, selected: v === value }, enumLabel(collection, fieldName, v))),
  );
}

export function optionSelect(name: string, options: { id: string; name: string }[], value: unknown, empty?: string, required = false): HTMLSelectElement {
  return h(
    "select",
    { name, required },
    empty !== undefined ? h("option", { value: "" }, empty) : null,
    options.map((o) => h("option", { value: o.id, selected: o.id === value }, o.name)),
  );
}

export function riskBadge(collection: string, level: unknown): HTMLElement {
  return h("span", { class: `badge risk-${String(level ?? "none")}` }, enumLabel(collection, "risk_level", level));
}

export function statusBadge(collection: string, status: unknown): HTMLElement {
  return h("span", { class: `badge status status-${String(status ?? "")}` }, enumLabel(collection, "status", status));
}

export function pendingBadge(pending: boolean): Child {
  return pending ? h("span", { class: "badge pending", title: t("pending") }, t("pending")) : null;
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", null, title), ...children);
}

export function dl(rows: [string, Child][]): HTMLElement {
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", null, k), h("dd", null, v ?? "—")]));
}

export function buttonLink(href: string, text: string, cls = "button"): HTMLAnchorElement {
  return h("a", { href: `#${href}`, class: cls }, text);
}

export function emptyState(): HTMLElement {
  return h("p", { class: "empty" }, t("no_records"));
}

/** Rejections of this device's changes to one record, with the reason in the user's language. */
export async function rejectionsFor(collection: string, id: string): Promise<RejectedEntry[]> {
  return (await listRejected()).filter((r) => r.collection === collection && r.record_id === id);
}

export function rejectionNote(r: RejectedEntry, extra?: Child): HTMLElement {
  return h(
    "div",
    { class: "rejection" },
    h("strong", null, errorText(r.error.code, r.error.message)),
    r.error.details?.["field"] ? h("span", null, ` (${String(r.error.details["field"])})`) : null,
    extra,
  );
}
