/** Form controls and small display pieces shared by the screens. */
import { h, type Child } from "./dom";
import { enumLabel, errorText, fieldLabel, lang, problemText, t } from "./i18n";
import { isoToLocalInput } from "./format";
import { InvalidChange, type Problems } from "../sync/validate";
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

/**
 * A date-time picker that follows the app's language, not the browser's: 年/月/日 and a 24-hour
 * time in zh-CN. The value lives in a hidden input named `name` as "YYYY-MM-DDTHH:MM" (Shanghai
 * time, like a datetime-local value), so forms read it as before. Parts have no name of their own.
 */
export function dateTimeInput(name: string, iso: unknown, attrs: Record<string, unknown> = {}): HTMLElement {
  const zh = lang() === "zh";
  const required = Boolean(attrs["required"]);
  const initial = isoToLocalInput(iso);
  const hidden = h("input", { type: "hidden", name, value: initial });
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(initial);
  const year = new Date().getFullYear();
  const pad = (n: number) => String(n).padStart(2, "0");
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  const part = (key: string, values: number[], label: (n: number) => string, current: number | undefined, aria: string) =>
    h("select", { "data-part": key, "aria-label": aria, required },
      required && current !== undefined ? null : h("option", { value: "" }, "—"),
      values.map((n) => h("option", { value: String(n), selected: n === current }, label(n))));
  const cur = m ? m.slice(1).map(Number) : [];
  const years = range(Math.min(year - 1, cur[0] ?? year), Math.max(year + 2, cur[0] ?? year));
  const y = part("y", years, (n) => (zh ? `${n}年` : String(n)), cur[0], zh ? "年" : "Year");
  const mo = part("m", range(1, 12), (n) => (zh ? `${n}月` : new Date(Date.UTC(2000, n - 1, 1)).toLocaleString("en-GB", { month: "short", timeZone: "UTC" })), cur[1], zh ? "月" : "Month");
  const d = part("d", range(1, 31), (n) => (zh ? `${n}日` : String(n)), cur[2], zh ? "日" : "Day");
  const hh = part("h", range(0, 23), (n) => (zh ? `${pad(n)}时` : pad(n)), cur[3], zh ? "时" : "Hour");
  const mi = part("min", range(0, 59), (n) => (zh ? `${pad(n)}分` : pad(n)), cur[4], zh ? "分" : "Minute");
  const parts = [y, mo, d, hh, mi];
  const compose = () => {
    if (parts.every((p) => p.value === "")) {
      hidden.value = "";
    } else {
      // The first part picked fills the others with today 09:00, so one tap gives a whole time.
      const now = new Date(Date.now() + 8 * 3600_000);
      const fallback = [now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate(), 9, 0];
      parts.forEach((p, i) => {
        if (p.value === "") p.value = String(fallback[i]);
      });
      const days = new Date(Date.UTC(Number(y.value), Number(mo.value), 0)).getUTCDate();
      if (Number(d.value) > days) d.value = String(days);
      hidden.value = `${y.value}-${pad(Number(mo.value))}-${pad(Number(d.value))}T${pad(Number(hh.value))}:${pad(Number(mi.value))}`;
    }
    hidden.dispatchEvent(new Event("input", { bubbles: true }));
  };
  for (const p of parts) p.addEventListener("change", compose);
  return h("span", { class: "datetime", "data-for": name, "data-field": name },
    hidden, h("span", { class: "date-parts" }, y, mo, d), h("span", { class: "time-parts" }, hh, zh ? "" : ":", mi));
}

/**
 * Shows each problem next to its input, in the app's language, and focuses the first one.
 * Problems of fields without an input on this form go on top of the form.
 */
export function showProblems(form: HTMLElement, problems: Problems): void {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  let first: HTMLElement | null = null;
  for (const [name, p] of Object.entries(problems)) {
    const msg = h("small", { class: "field-error", role: "alert", "data-error-for": name }, problemText(p, fieldLabel(name)));
    const control = form.querySelector<HTMLElement>(`[data-field="${name}"], [name="${name}"]`);
    if (!control) {
      form.prepend(msg);
      continue;
    }
    control.setAttribute("aria-invalid", "true");
    (control.closest(".field") ?? control.parentElement ?? form).appendChild(msg);
    first ??= control.matches("input[type=hidden]") ? control.parentElement?.querySelector("select") ?? null : control;
    // The message goes once the person changes that value.
    control.addEventListener("input", () => { msg.remove(); control.removeAttribute("aria-invalid"); }, { once: true });
    control.addEventListener("change", () => { msg.remove(); control.removeAttribute("aria-invalid"); }, { once: true });
  }
  first?.focus();
}

/** Runs a form's save; a value the checks refuse is shown next to its input instead. */
export async function guardSubmit(form: HTMLElement, save: () => Promise<void>): Promise<void> {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  try {
    await save();
  } catch (e) {
    if (e instanceof InvalidChange) showProblems(form, e.problems);
    else throw e;
  }
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

/** A form's submit handler: no page reload, and refused values shown next to their inputs. */
export function submitHandler(save: () => Promise<void>): (ev: Event) => Promise<void> {
  return async (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    // Submitted: the screen may show the new state again (app.ts keeps typed-into forms).
    form.removeAttribute("data-dirty");
    await guardSubmit(form, save);
  };
}
