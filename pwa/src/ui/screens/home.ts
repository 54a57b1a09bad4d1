/** The first screen after login: what needs this person's attention, by role. */
import { h } from "../dom";
import { t } from "../i18n";
import { route, type Ctx, type Screen } from "../app";
import { viewCollection } from "../../sync/view";
import { listRejected } from "../../storage/outbox";
import { countdown } from "../format";
import { CLOSED } from "./disputes";
import { commandTiles } from "./command";

/** A tile with a count, or an action tile (no count, its label says what it does). */
function tile(href: string, label: string, count?: number, alert = false): HTMLElement {
  return h("a", { class: `tile${alert ? " alert" : ""}${count === undefined ? " action" : ""}`, href: `#${href}` },
    count === undefined ? null : h("span", { class: "n" }, String(count)), h("span", null, label));
}

async function homeScreen(ctx: Ctx): Promise<Screen> {
  const me = ctx.user;
  const [disputes, orders, warnings, notes, conflicts, sessions, rejected] = await Promise.all([
    viewCollection("disputes"), viewCollection("dispatch_orders"), viewCollection("warnings"), viewCollection("notifications"),
    viewCollection("conflicts"), viewCollection("psych_sessions"), listRejected(),
  ]);
  const openDisputes = disputes.filter((d) => !CLOSED.includes(String(d.fields["status"])));
  const highRisk = openDisputes.filter((d) => ["orange", "red"].includes(String(d.fields["risk_level"])));
  const unackedWarnings = warnings.filter((w) => !(Array.isArray(w.fields["acknowledged_by"]) && (w.fields["acknowledged_by"] as string[]).includes(me.id)));
  const unread = notes.filter((n) => !n.fields["read"]);
  const openConflicts = conflicts.filter((c) => c.fields["status"] === "open");
  const activeOrders = orders.filter((o) => !["verified"].includes(String(o.fields["status"])));
  const lateOrders = activeOrders.filter((o) => o.fields["overdue"] || countdown(o.fields[o.fields["status"] === "issued" || o.fields["status"] === "acknowledged" ? "arrive_by" : "resolve_by"]).overdue);
  const tiles: HTMLElement[] = [];
  switch (me.role) {
    case "grid_worker":
      tiles.push(tile("/disputes/new", `+ ${t("new_dispute")}`), tile("/disputes", t("disputes"), openDisputes.length), tile("/disputes?risk=high", t("risk_high"), highRisk.length, highRisk.length > 0));
      break;
    case "lawyer":
      tiles.push(tile("/consultations/new", `+ ${t("new_consultation")}`), tile("/consultations", t("consultations")), tile("/disputes", t("disputes"), openDisputes.length));
      break;
    case "psychologist": {
      const mine = sessions.filter((s) => s.fields["psychologist_id"] === me.id);
      tiles.push(tile("/psych", t("psych"), mine.filter((s) => s.fields["status"] === "scheduled").length),
        tile("/psych", t("requested_sessions"), mine.filter((s) => s.fields["status"] === "requested").length, mine.some((s) => s.fields["status"] === "requested")),
        tile("/psych/slots/new", `+ ${t("new_slot")}`));
      break;
    }
    case "department_officer":
      tiles.push(tile("/orders", t("orders"), activeOrders.length), tile("/orders", t("overdue"), lateOrders.length, lateOrders.length > 0));
      break;
    case "volunteer":
      tiles.push(tile("/volunteer/new", `+ ${t("vol_new_report")}`), tile("/volunteer/reports", t("vol_my_reports")), tile("/volunteer/me", t("vol_points_awards")));
      break;
    default:
      tiles.push(tile("/triage", t("triage"), openDisputes.length), tile("/orders", t("orders"), activeOrders.length), tile("/orders", t("overdue"), lateOrders.length, lateOrders.length > 0));
  }
  tiles.push(
    tile("/inbox", t("warnings"), unackedWarnings.length, unackedWarnings.length > 0),
    tile("/inbox", t("notifications"), unread.length),
    tile("/conflicts", t("conflicts"), openConflicts.length, openConflicts.length > 0),
  );
  if (rejected.length) tiles.push(tile("/outbox", t("rejected"), rejected.length, true));
  for (const [href, label] of commandTiles(me)) tiles.push(tile(href, label));
  const node = h("div", { class: "stack" }, h("p", { class: "greeting" }, t("quick_resume", { name: me.display_name })), h("div", { class: "tiles" }, tiles));
  return { title: t("home"), node, live: true };
}

export function registerHomeRoutes(): void {
  route("/", homeScreen);
}
