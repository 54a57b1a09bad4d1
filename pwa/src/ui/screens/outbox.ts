/** Unsent changes and rejected ones, each with its reason in the user's language. */
import { h } from "../dom";
import { broadcast } from "../../sync/events";
import { t, enumLabel } from "../i18n";
import { formatDateTime } from "../format";
import { route, type Screen } from "../app";
import { allPending, dismissRejected, listRejected } from "../../storage/outbox";
import { requestSync } from "../../sync/scheduler";
import { emptyState, section } from "../widgets";
import { rejectionPanel } from "./psych";
import type { OutboxEntry } from "../../types";

const ROUTES: Record<string, string> = { disputes: "/disputes/", dispatch_orders: "/orders/", psych_sessions: "/psych/sessions/", consultations: "/consultations/", conflicts: "/conflicts/" };

function describe(e: OutboxEntry): string {
  const names = Object.keys(e.fields).slice(0, 4).join(", ");
  return `${enumLabel("outbox", "collection", e.collection)} · ${e.op === "delete" ? t("delete") : names || "—"}`;
}

function link(e: OutboxEntry): HTMLElement {
  const base = ROUTES[e.collection];
  return base ? h("a", { href: `#${base}${e.record_id}` }, describe(e)) : h("span", null, describe(e));
}

async function outboxScreen(): Promise<Screen> {
  const pending = (await allPending()).sort((a, b) => a.seq - b.seq);
  const rejected = (await listRejected()).sort((a, b) => b.answered_at - a.answered_at);
  const node = h("div", { class: "stack" },
    section(t("rejected"), rejected.length ? h("ul", { class: "list" }, rejected.map((r) => h("li", { class: "item" },
      link(r), h("small", null, ` #${r.seq} · ${formatDateTime(r.answered_at)}`),
      rejectionPanel(r),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary small", onclick: async () => {
        await dismissRejected(r.id);
        broadcast({ type: "data-changed" });
      } }, t("dismiss")))))) : emptyState()),
    section(t("unsent_changes"), pending.length ? h("ul", { class: "list" }, pending.map((e) => h("li", { class: "item" },
      link(e), h("small", null, ` #${e.seq} · ${formatDateTime(e.created_at)}${e.sent_at ? " · ↑" : ""}`)))) : emptyState(),
      h("button", { type: "button", onclick: () => requestSync("manual") }, t("sync_now"))));
  return { title: t("outbox"), node, live: true };
}

export function registerOutboxRoutes(): void {
  route("/outbox", outboxScreen);
}
