/** Everyone: notifications and graded warnings; acknowledging adds one's own id to `acknowledged_by`. */
import { h, toast } from "../dom";
import { t, enumLabel } from "../i18n";
import { formatDateTime } from "../format";
import { route, type Ctx, type Screen } from "../app";
import { saveChanges, viewCollection } from "../../sync/view";
import { unitName } from "../directory";
import { emptyState, pendingBadge, section } from "../widgets";

/** Server urls may be "/disputes/<id>" or "#/disputes/<id>": both become hash routes. */
export function toHash(url: unknown): string {
  const s = String(url ?? "");
  if (s.startsWith("#")) return s;
  const hash = s.indexOf("#");
  if (hash >= 0) return s.slice(hash);
  return `#${s.startsWith("/") ? s : `/${s}`}`;
}

const SUBJECT_ROUTES: Record<string, string> = { disputes: "/disputes/", dispatch_orders: "/orders/", psych_sessions: "/psych/sessions/" };

async function inboxScreen(ctx: Ctx): Promise<Screen> {
  const me = ctx.user.id;
  const warnings = (await viewCollection("warnings")).sort((a, b) => String(b.fields["created_at"]).localeCompare(String(a.fields["created_at"])));
  const notes = (await viewCollection("notifications")).sort((a, b) => String(b.fields["created_at"]).localeCompare(String(a.fields["created_at"])));
  const node = h("div", { class: "stack" },
    section(t("warnings"), warnings.length ? h("ul", { class: "list" }, warnings.map((w) => {
      const f = w.fields;
      const acked = Array.isArray(f["acknowledged_by"]) && (f["acknowledged_by"] as string[]).includes(me);
      const subject = SUBJECT_ROUTES[String(f["subject_collection"])];
      return h("li", { class: `item warning level-${String(f["level"])}${acked ? " done" : ""}` },
        h("div", { class: "item-head" }, h("span", { class: `badge risk-${String(f["level"])}` }, enumLabel("warnings", "level", f["level"])),
          h("small", null, `${enumLabel("warnings", "source", f["source"])} · ${unitName(f["org_unit_id"])} · ${formatDateTime(f["created_at"])}`)),
        h("p", null, String(f["message"] ?? "")),
        h("div", { class: "actions" },
          subject && f["subject_id"] ? h("a", { class: "button secondary small", href: `#${subject}${String(f["subject_id"])}` }, t("open")) : null,
          acked ? h("span", { class: "muted" }, `✓ ${t("acknowledged")}`) : h("button", { type: "button", class: "small", onclick: async () => {
            const list = Array.isArray(f["acknowledged_by"]) ? (f["acknowledged_by"] as string[]) : [];
            await saveChanges("warnings", w.id, { acknowledged_by: [...list, me] });
            toast(t("saved"));
          } }, t("acknowledge")), pendingBadge(w.pending)));
    })) : emptyState()),
    section(t("notifications"), notes.length ? h("ul", { class: "list" }, notes.map((n) => {
      const f = n.fields;
      return h("li", { class: `item${f["read"] ? " done" : ""}` },
        h("a", { href: toHash(f["url"]), onclick: () => { if (!f["read"]) void saveChanges("notifications", n.id, { read: true }); } },
          h("strong", null, String(f["title"] ?? "")), h("p", null, String(f["body"] ?? ""))),
        h("small", null, formatDateTime(f["created_at"]), " "),
        f["read"] ? null : h("button", { type: "button", class: "link small", onclick: () => void saveChanges("notifications", n.id, { read: true }) }, t("mark_read")));
    })) : emptyState()));
  return { title: t("inbox"), node, live: true };
}

export function registerInboxRoutes(): void {
  route("/inbox", inboxScreen);
}
