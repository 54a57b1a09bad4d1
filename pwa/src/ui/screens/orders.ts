/**
 * "The community issues orders, departments execute": the admin's triage list and dispatch form,
 * the department's incoming orders with live countdowns, check-in, resolution, verification.
 */
import { h, formValues, toast } from "../dom";
import { t, enumLabel } from "../i18n";
import { countdown, formatDateTime, localInputToIso } from "../format";
import { navigate, route, type Ctx, type Screen } from "../app";
import { createRecord, saveChanges, viewCollection, viewRecord } from "../../sync/view";
import { enumOf } from "../../schema";
import { loadDirectory, unitName, unitsOfKind } from "../directory";
import { gpsEditor, formatGeo } from "../editors";
import {
  buttonLink, dateTimeInput, dl, emptyState, enumSelect, field, optionSelect, pendingBadge, rejectionNote,
  rejectionsFor, section, statusBadge, textArea, textInput, submitHandler,
} from "../widgets";
import { disputeItem, sortDisputes } from "./disputes";
import { timelineSection } from "./command/timeline";
import type { Fields, ViewRecord } from "../../types";

const ADMIN_ROLES = ["community_admin", "street_admin", "district_admin"];

async function triageScreen(): Promise<Screen> {
  const disputes = sortDisputes((await viewCollection("disputes")).filter((d) => ["registered", "escalated", "mediating", undefined].includes(d.fields["status"] as string | undefined)));
  const resolvedOrders = (await viewCollection("dispatch_orders")).filter((o) => o.fields["status"] === "resolved");
  const node = h("div", { class: "stack" },
    resolvedOrders.length ? section(`${t("verify")} (${resolvedOrders.length})`, h("ul", { class: "list" }, resolvedOrders.map(orderItem))) : null,
    section(`${t("triage")} (${disputes.length})`, disputes.length ? h("ul", { class: "list" }, disputes.map(disputeItem)) : emptyState()));
  return { title: t("triage"), node, live: true };
}

function deadlineLine(label: string, iso: unknown, done: boolean): HTMLElement {
  const el = h("span", { class: "countdown", "data-deadline": String(iso ?? ""), "data-done": done ? "1" : "" });
  paintCountdown(el);
  return h("div", { class: "deadline" }, `${label}：${formatDateTime(iso)} `, el);
}

function paintCountdown(el: HTMLElement): void {
  if (el.dataset["done"]) {
    el.textContent = "✓";
    return;
  }
  const c = countdown(el.dataset["deadline"]);
  el.textContent = c.text;
  el.classList.toggle("late", c.overdue);
}

/** Ticks every second while the screen is shown; stopped by the screen's cleanup. */
function liveCountdowns(root: HTMLElement): () => void {
  const timer = setInterval(() => root.querySelectorAll<HTMLElement>(".countdown").forEach(paintCountdown), 1000);
  return () => clearInterval(timer);
}

const ARRIVED = ["arrived", "resolved", "verified"];

function orderItem(o: ViewRecord): HTMLElement {
  const f = o.fields;
  return h("li", null, h("a", { href: `#/orders/${o.id}`, class: `item${f["overdue"] ? " overdue" : ""}` },
    h("div", { class: "item-head" }, h("strong", null, String(f["summary"] ?? "").slice(0, 60) || unitName(f["department_id"])), statusBadge("dispatch_orders", f["status"])),
    h("small", null, `${unitName(f["community_id"])} → ${unitName(f["department_id"])} `, pendingBadge(o.pending)),
    deadlineLine(t("arrive_by"), f["arrive_by"], ARRIVED.includes(String(f["status"]))),
    deadlineLine(t("resolve_by"), f["resolve_by"], ["resolved", "verified"].includes(String(f["status"])))));
}

async function ordersScreen(): Promise<Screen> {
  const order: Record<string, number> = { issued: 0, reopened: 1, acknowledged: 2, arrived: 3, resolved: 4, verified: 5 };
  const orders = (await viewCollection("dispatch_orders")).sort(
    (a, b) => (order[String(a.fields["status"])] ?? 9) - (order[String(b.fields["status"])] ?? 9) || String(a.fields["arrive_by"]).localeCompare(String(b.fields["arrive_by"])));
  const list = h("ul", { class: "list" }, orders.map(orderItem));
  const node = h("div", null, orders.length ? list : emptyState());
  return { title: t("orders"), node, live: true, cleanup: liveCountdowns(node) };
}

async function dispatchForm(ctx: Ctx): Promise<Screen> {
  const disputeId = ctx.params[0]!;
  const dispute = await viewRecord("disputes", disputeId);
  if (!dispute) return { title: t("dispatch"), node: h("p", { class: "empty" }, t("not_found")) };
  await loadDirectory(); // the first pull may have landed a moment ago
  const departments = unitsOfKind("department");
  const now = Date.now();
  const form = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    const id = await createRecord("dispatch_orders", {
      community_id: dispute.fields["community_id"],
      dispute_id: disputeId,
      department_id: v["department_id"],
      summary: v["summary"],
      required_leader_level: v["required_leader_level"],
      arrive_by: localInputToIso(String(v["arrive_by"])),
      resolve_by: localInputToIso(String(v["resolve_by"])),
      status: "issued",
    });
    toast(t("saved"));
    navigate(`/orders/${id}`);
  }) },
    h("ul", { class: "list" }, disputeItem(dispute)),
    field(t("department"), optionSelect("department_id", departments, undefined, t("choose"), true)),
    field(t("summary"), textArea("summary", dispute.fields["title"], { required: true })),
    field(t("required_leader_level"), enumSelect("dispatch_orders", "required_leader_level", "section")),
    h("div", { class: "grid2" },
      field(t("arrive_by"), dateTimeInput("arrive_by", new Date(now + 2 * 3600_000).toISOString(), { required: true })),
      field(t("resolve_by"), dateTimeInput("resolve_by", new Date(now + 3 * 86_400_000).toISOString(), { required: true }))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("issue_order")), buttonLink(`/disputes/${disputeId}`, t("cancel"), "button secondary")));
  return { title: t("dispatch"), node: form };
}

function levelIndex(level: unknown): number {
  return enumOf("dispatch_orders", "required_leader_level").indexOf(String(level));
}

async function orderDetail(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0]!;
  const o = await viewRecord("dispatch_orders", id);
  if (!o) return { title: t("orders"), node: h("p", { class: "empty" }, t("not_found")), live: true };
  const f = o.fields;
  const status = String(f["status"] ?? "issued");
  const role = ctx.user.role;
  const isDept = role === "department_officer";
  const isAdmin = ADMIN_ROLES.includes(role);
  const arrival = (f["arrival"] ?? null) as Fields | null;
  const rejections = await rejectionsFor("dispatch_orders", id);
  const set = (changes: Fields) => async () => {
    await saveChanges("dispatch_orders", id, changes);
    toast(t("saved"));
  };
  const actions: HTMLElement[] = [];
  if (isDept && status === "issued") actions.push(h("button", { type: "button", onclick: set({ status: "acknowledged" }) }, t("acknowledge")));
  if (isDept && ["acknowledged", "reopened"].includes(status)) actions.push(checkInForm(id, f));
  if (isDept && status === "arrived") actions.push(resolveForm(id, f));
  if (isAdmin && status === "resolved") {
    actions.push(h("div", { class: "actions" },
      h("button", { type: "button", onclick: set({ status: "verified" }) }, t("verify")),
      h("button", { type: "button", class: "secondary", onclick: set({ status: "reopened" }) }, t("reopen"))));
  }
  const rating = (name: "community_rating" | "department_rating") =>
    h("select", { name, onchange: async (ev: Event) => {
      // "—" clears the rating (null), never 0: 1–5 are the only ratings there are.
      const raw = (ev.target as HTMLSelectElement).value;
      await saveChanges("dispatch_orders", id, { [name]: raw ? Number(raw) : null });
      toast(t("saved"));
    } },
      h("option", { value: "" }, "—"), [1, 2, 3, 4, 5].map((n) => h("option", { value: String(n), selected: f[name] === n }, "★".repeat(n))));
  const node = h("div", { class: "stack" },
    rejections.map((r) => rejectionNote(r)),
    h("div", null, statusBadge("dispatch_orders", status), " ", f["overdue"] ? h("span", { class: "badge risk-red" }, t("overdue")) : null, " ", pendingBadge(o.pending)),
    h("p", { class: "prose" }, String(f["summary"] ?? "")),
    deadlineLine(t("arrive_by"), f["arrive_by"], ARRIVED.includes(status)),
    deadlineLine(t("resolve_by"), f["resolve_by"], ["resolved", "verified"].includes(status)),
    dl([
      [t("community"), unitName(f["community_id"])],
      [t("department"), unitName(f["department_id"])],
      [t("required_leader_level"), enumLabel("dispatch_orders", "required_leader_level", f["required_leader_level"])],
      [t("escalation"), enumLabel("dispatch_orders", "escalation_level", f["escalation_level"])],
      [t("arrival"), arrival ? [formatDateTime(arrival["at"]), `${arrival["leader_name"] ?? ""}（${enumLabel("dispatch_orders", "leader_level", arrival["leader_level"])}）`,
        arrival["location"] ? formatGeo(arrival["location"]) : ""].filter(Boolean).join(" · ") : "—"],
      // The officer's reported time, the server's receipt time and the distance side by side:
      // a phone's clock and position are the officer's word, the receipt time is the server's.
      [t("arrival_reported_at"), arrival ? formatDateTime(arrival["at"]) : "—"],
      [t("arrival_received_at"), f["arrival_received_at"] ? formatDateTime(f["arrival_received_at"]) : "—"],
      [t("arrival_distance"), typeof f["arrival_distance_m"] === "number" ? t("metres", { n: f["arrival_distance_m"] }) : "—"],
      [t("resolution_note"), String(f["resolution_note"] ?? "—")],
    ]),
    f["checkin_status"] === "pending_verification"
      ? h("div", { class: "warn checkin-pending" }, h("p", null, t("checkin_pending")),
          isAdmin ? h("button", { type: "button", onclick: set({ checkin_status: "verified" }) }, t("verify_checkin")) : null)
      : f["checkin_status"] === "verified" ? h("p", { class: "checkin-verified" }, t("checkin_verified")) : null,
    arrival && levelIndex(arrival["leader_level"]) < levelIndex(f["required_leader_level"]) ? h("p", { class: "warn" }, t("below_level")) : null,
    f["dispute_id"] ? buttonLink(`/disputes/${String(f["dispute_id"])}`, t("disputes"), "button secondary") : null,
    actions,
    ["resolved", "verified"].includes(status)
      ? section("双向考核 / Ratings", isAdmin ? field(t("rating"), rating("community_rating")) : null, isDept ? field(t("rating"), rating("department_rating")) : null)
      : null,
    o.localCreatedAt && !f["created_at"] ? null : timelineSection("dispatch_orders", id));
  return { title: t("orders"), node, live: true, cleanup: liveCountdowns(node) };
}

function checkInForm(id: string, f: Fields): HTMLElement {
  const gps = gpsEditor(undefined);
  const form = h("form", { class: "card stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    await saveChanges("dispatch_orders", id, {
      status: "arrived",
      arrival: { at: new Date().toISOString(), leader_name: v["leader_name"], leader_level: v["leader_level"], location: gps.value() ?? null },
    });
    toast(t("saved"));
  }) },
    h("h2", null, t("check_in")),
    field(t("leader_name"), textInput("leader_name", "", { required: true })),
    field(t("leader_level"), enumSelect("dispatch_orders", "required_leader_level", f["required_leader_level"], { name: "leader_level" })),
    gps.node,
    h("button", { type: "submit" }, t("check_in")));
  return form;
}

function resolveForm(id: string, f: Fields): HTMLElement {
  const form = h("form", { class: "card stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    await saveChanges("dispatch_orders", id, { status: "resolved", resolution_note: v["resolution_note"] });
    toast(t("saved"));
  }) },
    h("h2", null, t("resolve")),
    field(t("resolution_note"), textArea("resolution_note", f["resolution_note"], { required: true })),
    h("button", { type: "submit" }, t("resolve")));
  return form;
}

export function registerOrderRoutes(): void {
  route("/triage", triageScreen);
  route("/orders", ordersScreen);
  route("/orders/:id", orderDetail);
  route("/disputes/:id/dispatch", dispatchForm);
}
