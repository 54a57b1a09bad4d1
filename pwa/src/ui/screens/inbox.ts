/**
 * Everyone: notifications and graded warnings; acknowledging adds one's own id to
 * `acknowledged_by`. Every link the server writes into a notice opens a screen here
 * (`#/inbox/warnings/<id>`, `#/orders/<id>`, `#/psych/<id>`, `#/conflicts/<id>`), and each item
 * names the record it is about.
 */
import { h, toast } from "../dom";
import { t, enumLabel } from "../i18n";
import { formatDateTime } from "../format";
import { route, type Ctx, type Screen } from "../app";
import { saveChanges, viewCollection, viewRecord } from "../../sync/view";
import { unitName } from "../directory";
import { linkTarget, subjectName } from "../subjects";
import { dl, emptyState, pendingBadge, section } from "../widgets";
import type { ViewRecord } from "../../types";
import { noticeText, warningMessage } from "../notices";

/** Server urls may be "/disputes/<id>" or "#/disputes/<id>": both become hash routes. */
export function toHash(url: unknown): string {
  const s = String(url ?? "");
  if (s.startsWith("#")) return s;
  const hash = s.indexOf("#");
  if (hash >= 0) return s.slice(hash);
  return `#${s.startsWith("/") ? s : `/${s}`}`;
}

const SUBJECT_ROUTES: Record<string, string> = {
  disputes: "/disputes/", dispatch_orders: "/orders/", psych_sessions: "/psych/sessions/", consultations: "/consultations/",
};

function acknowledged(w: ViewRecord, me: string): boolean {
  return Array.isArray(w.fields["acknowledged_by"]) && (w.fields["acknowledged_by"] as string[]).includes(me);
}

function ackButton(w: ViewRecord, me: string): HTMLElement {
  return acknowledged(w, me)
    ? h("span", { class: "muted" }, `✓ ${t("acknowledged")}`)
    : h("button", { type: "button", class: "small", onclick: async () => {
        const list = Array.isArray(w.fields["acknowledged_by"]) ? (w.fields["acknowledged_by"] as string[]) : [];
        await saveChanges("warnings", w.id, { acknowledged_by: [...list, me] });
        toast(t("saved"));
      } }, t("acknowledge"));
}

function subjectLink(w: ViewRecord): HTMLElement | null {
  const base = SUBJECT_ROUTES[String(w.fields["subject_collection"])];
  return base && w.fields["subject_id"] ? h("a", { class: "button secondary small", href: `#${base}${String(w.fields["subject_id"])}` }, t("open")) : null;
}

async function warningItem(w: ViewRecord, me: string): Promise<HTMLElement> {
  const f = w.fields;
  const name = await subjectName(String(f["subject_collection"] ?? ""), f["subject_id"]);
  return h("li", { class: `item warning level-${String(f["level"])}${acknowledged(w, me) ? " done" : ""}` },
    h("a", { href: `#/inbox/warnings/${w.id}`, class: "item-head" }, h("span", { class: `badge risk-${String(f["level"])}` }, enumLabel("warnings", "level", f["level"])),
      h("small", null, `${enumLabel("warnings", "source", f["source"])} · ${unitName(f["org_unit_id"])} · ${formatDateTime(f["created_at"])}`)),
    h("p", null, warningMessage(f)),
    h("p", { class: "subject" }, t("about", { what: name })),
    h("div", { class: "actions" }, subjectLink(w), ackButton(w, me), pendingBadge(w.pending)));
}

async function noteItem(n: ViewRecord): Promise<HTMLElement> {
  const f = n.fields;
  const hash = toHash(f["url"]);
  const target = linkTarget(hash);
  const about = target ? await subjectName(target[0], target[1]) : null;
  return h("li", { class: `item${f["read"] ? " done" : ""}` },
    h("a", { href: hash, onclick: () => { if (!f["read"]) void saveChanges("notifications", n.id, { read: true }); } },
      h("strong", null, noticeText(f).title), h("p", null, noticeText(f).body),
      about ? h("p", { class: "subject" }, t("about", { what: about })) : null),
    h("small", null, formatDateTime(f["created_at"]), " "),
    f["read"] ? null : h("button", { type: "button", class: "link small", onclick: () => void saveChanges("notifications", n.id, { read: true }) }, t("mark_read")));
}

const newestFirst = (a: ViewRecord, b: ViewRecord) => String(b.fields["created_at"]).localeCompare(String(a.fields["created_at"]));

async function inboxScreen(ctx: Ctx): Promise<Screen> {
  const me = ctx.user.id;
  const warnings = (await viewCollection("warnings")).sort(newestFirst);
  const notes = (await viewCollection("notifications")).sort(newestFirst);
  const node = h("div", { class: "stack" },
    section(t("warnings"), warnings.length ? h("ul", { class: "list" }, await Promise.all(warnings.map((w) => warningItem(w, me)))) : emptyState()),
    section(t("notifications"), notes.length ? h("ul", { class: "list" }, await Promise.all(notes.map(noteItem))) : emptyState()));
  return { title: t("inbox"), node, live: true };
}

/** `#/inbox/warnings/<id>`: where a warning notice (push or inbox) leads. */
async function warningScreen(ctx: Ctx): Promise<Screen> {
  const me = ctx.user.id;
  const w = await viewRecord("warnings", ctx.params[0]!);
  if (!w) return { title: t("warning"), node: h("p", { class: "empty" }, t("not_found")), live: true };
  const f = w.fields;
  const name = await subjectName(String(f["subject_collection"] ?? ""), f["subject_id"]);
  const node = h("div", { class: "stack" },
    h("div", { class: "item-head" }, h("h2", { class: "title" }, t("about", { what: name })),
      h("span", { class: `badge risk-${String(f["level"])}` }, enumLabel("warnings", "level", f["level"]))),
    h("p", { class: "prose" }, warningMessage(f)),
    dl([
      [t("source"), enumLabel("warnings", "source", f["source"])],
      [t("community"), unitName(f["org_unit_id"])],
      [t("created_at"), formatDateTime(f["created_at"])],
    ]),
    h("div", { class: "actions" }, subjectLink(w), ackButton(w, me), pendingBadge(w.pending)));
  return { title: t("warning"), node, live: true };
}

export function registerInboxRoutes(): void {
  route("/inbox", inboxScreen);
  route("/inbox/warnings/:id", warningScreen);
}
