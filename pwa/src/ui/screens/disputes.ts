/** Grid worker: the community's disputes, the dispute form, visits, referrals. */
import { h, formValues, toast } from "../dom";
import { callbackBox } from "./public/callback";
import { t, enumLabel, fieldLabel } from "../i18n";
import { formatDateTime, localInputToIso } from "../format";
import { navigate, route, type Ctx, type Screen } from "../app";
import { createRecord, saveChanges, viewCollection, viewRecord } from "../../sync/view";
import { transitions } from "../../schema";
import { communityOf, gridsOf, loadDirectory, userName, usersWithRole, unitName } from "../directory";
import { gpsEditor, partiesEditor, photosEditor, photoStrip, formatGeo } from "../editors";
import {
  buttonLink, dateTimeInput, dl, emptyState, enumSelect, field, optionSelect, pendingBadge, rejectionNote,
  rejectionsFor, riskBadge, section, statusBadge, textArea, textInput, submitHandler,
} from "../widgets";
import { timelineSection } from "./command/timeline";
import type { Fields, ViewRecord } from "../../types";
import "./agreements_text";
import { SUPERVISOR_ROLES, readFullRecord } from "./fullRecord";

/** Statuses that need no more work: the "high risk" filter leaves them out, as the home tile does. */
export const CLOSED = ["closed", "withdrawn", "resolved"];
const RISK_ORDER: Record<string, number> = { red: 0, orange: 1, yellow: 2, blue: 3 };

/** Filters survive re-renders (a pull arriving while the user looks at a filtered list). */
const filters = { q: "", status: "", risk: "", category: "" };

function matches(d: ViewRecord): boolean {
  const f = d.fields;
  if (filters.status && f["status"] !== filters.status) return false;
  if (filters.risk === "high") {
    if (!["orange", "red"].includes(String(f["risk_level"])) || CLOSED.includes(String(f["status"]))) return false;
  } else if (filters.risk && f["risk_level"] !== filters.risk) return false;
  if (filters.category && f["category"] !== filters.category) return false;
  if (!filters.q) return true;
  const hay = [f["title"], f["description"], f["address"], ...(Array.isArray(f["tags"]) ? f["tags"] : []),
    ...(Array.isArray(f["parties"]) ? (f["parties"] as Fields[]).map((p) => p["name"]) : [])]
    .filter(Boolean).join(" ").toLowerCase();
  return filters.q.toLowerCase().split(/\s+/).every((w) => hay.includes(w));
}

export function sortDisputes(list: ViewRecord[]): ViewRecord[] {
  return list.sort(
    (a, b) =>
      (RISK_ORDER[String(a.fields["risk_level"])] ?? 9) - (RISK_ORDER[String(b.fields["risk_level"])] ?? 9) ||
      String(b.fields["updated_at"] ?? b.fields["created_at"] ?? "9").localeCompare(String(a.fields["updated_at"] ?? a.fields["created_at"] ?? "9")),
  );
}

export function disputeItem(d: ViewRecord): HTMLElement {
  const f = d.fields;
  return h("li", null, h("a", { href: `#/disputes/${d.id}`, class: `item risk-edge-${String(f["risk_level"] ?? "none")}` },
    h("div", { class: "item-head" }, h("strong", null, String(f["title"] ?? "—")), riskBadge("disputes", f["risk_level"])),
    h("div", { class: "item-meta" }, statusBadge("disputes", f["status"]), " ", enumLabel("disputes", "category", f["category"]),
      f["address"] ? ` · ${String(f["address"])}` : "", " ", pendingBadge(d.pending)),
    h("small", null, createdText(d))));
}

/** The server's time of record, or for a record made here offline the local time, marked. */
export function createdText(d: ViewRecord): string {
  if (d.fields["created_at"]) return formatDateTime(d.fields["created_at"]);
  if (d.localCreatedAt) return `${formatDateTime(d.localCreatedAt)}（${t("not_synced_yet")}）`;
  return "—";
}

async function listScreen(ctx: Ctx): Promise<Screen> {
  // "#/disputes?risk=high" (the home tile): open disputes at orange or red.
  // The risk filter lives in the address, so a re-render or the back button keeps it.
  filters.risk = ctx.query.get("risk") ?? "";
  const all = sortDisputes(await viewCollection("disputes"));
  const list = h("ul", { class: "list" });
  const count = h("small", { class: "count" });
  const draw = () => {
    const shown = all.filter(matches);
    list.replaceChildren(...shown.map(disputeItem));
    if (!shown.length) list.appendChild(h("li", null, emptyState()));
    count.textContent = `${shown.length} / ${all.length}`;
  };
  const onFilter = (key: keyof typeof filters) => (ev: Event) => {
    filters[key] = (ev.target as HTMLInputElement).value;
    if (key === "risk") history.replaceState(null, "", filters.risk ? `#/disputes?risk=${filters.risk}` : "#/disputes");
    draw();
  };
  const canCreate = ["grid_worker", "community_admin"].includes(ctx.user.role);
  const node = h("div", null,
    h("div", { class: "toolbar" },
      h("input", { type: "search", placeholder: t("search"), value: filters.q, oninput: onFilter("q"), "aria-label": t("search") }),
      canCreate ? buttonLink("/disputes/new", `+ ${t("new_dispute")}`) : null),
    h("div", { class: "filters" },
      withChange(enumSelect("disputes", "status", filters.status, { name: "f_status", empty: `${t("status")}: ${t("all")}` }), onFilter("status")),
      withChange(riskFilter(), onFilter("risk")),
      withChange(enumSelect("disputes", "category", filters.category, { name: "f_category", empty: `${t("category")}: ${t("all")}` }), onFilter("category")),
      count),
    list);
  draw();
  return { title: t("disputes"), node, live: true };
}

/** Risk levels, plus "orange or red, still open" (what the home tile counts). */
function riskFilter(): HTMLSelectElement {
  const select = enumSelect("disputes", "risk_level", filters.risk, { name: "f_risk", empty: `${t("risk_level")}: ${t("all")}` });
  select.insertBefore(h("option", { value: "high", selected: filters.risk === "high" }, t("risk_high")), select.options[1] ?? null);
  return select;
}

function withChange<T extends HTMLElement>(el: T, fn: (ev: Event) => void): T {
  el.addEventListener("change", fn);
  return el;
}

async function detailScreen(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0]!;
  const local = await viewRecord("disputes", id);
  // Supervisors' devices hold a reduced copy (or none): the whole record is read online.
  const supervisor = SUPERVISOR_ROLES.includes(ctx.user.role);
  const full = supervisor ? await readFullRecord("disputes", id, local?.version ?? 0) : undefined;
  const d: ViewRecord | undefined = full?.kind === "full" && !full.record.deleted
    ? { ...(local ?? { id, collection: "disputes", pending: false }), version: full.record.version,
      // unsent edits on this device still show; the parties come whole from the server
      fields: { ...full.record.fields, ...(local?.pending ? local.fields : {}), parties: full.record.fields["parties"] } }
    : local;
  const notice = supervisor && full?.kind !== "full"
    ? h("p", { class: "notice", "data-full-record": full?.kind ?? "" }, full?.kind === "forbidden" ? t("full_record_forbidden") : t("full_record_offline"))
    : supervisor ? h("p", { class: "hint", "data-full-record": "full" }, t("full_record_logged")) : null;
  if (!d) return { title: t("disputes"), node: h("div", { class: "stack" }, notice, h("p", { class: "empty" }, t("not_found"))), live: true };
  const f = d.fields;
  const visits = (await viewCollection("visits")).filter((v) => v.fields["dispute_id"] === id)
    .sort((a, b) => String(b.fields["visited_at"]).localeCompare(String(a.fields["visited_at"])));
  const orders = (await viewCollection("dispatch_orders")).filter((o) => o.fields["dispute_id"] === id);
  const sessions = (await viewCollection("psych_sessions")).filter((s) => s.fields["dispute_id"] === id);
  const rejections = await rejectionsFor("disputes", id);
  const next = transitions("disputes", "status")?.[String(f["status"] ?? "registered")] ?? [];
  const role = ctx.user.role;
  const isAdmin = ["community_admin", "street_admin", "district_admin"].includes(role);

  // Say what the tap does; a way out that cannot be undone (withdrawn has no next state) asks first.
  const statusButtons = next.map((s) =>
    h("button", { type: "button", class: s === "withdrawn" ? "danger" : "secondary", "data-status": s, onclick: async () => {
      const label = enumLabel("disputes", "status", s);
      if ((transitions("disputes", "status")?.[s] ?? []).length === 0 && !confirm(t("confirm_final_status", { s: label }))) return;
      await saveChanges("disputes", id, { status: s });
      toast(t("status_changed", { s: label }));
    } }, t("change_status_to", { s: enumLabel("disputes", "status", s) })));
  const openConflicts = (await viewCollection("conflicts")).filter((c) =>
    c.fields["status"] === "open" && c.fields["target_collection"] === "disputes" && c.fields["target_id"] === id);

  const node = h("div", { class: "stack" },
    notice,
    rejections.map((r) => rejectionNote(r)),
    openConflicts.map((c) => h("a", { class: "conflict-hint", href: `#/conflicts/${c.id}` },
      t("pending_conflict_hint", { f: fieldLabel(c.fields["field"] as string | null) }))),
    h("div", { class: "item-head" }, h("h2", { class: "title" }, String(f["title"] ?? "—")), riskBadge("disputes", f["risk_level"])),
    h("div", null, statusBadge("disputes", f["status"]), " ", pendingBadge(d.pending)),
    dl([
      [t("service_type"), enumLabel("disputes", "service_type", f["service_type"])],
      [t("category"), enumLabel("disputes", "category", f["category"])],
      [t("channel"), enumLabel("disputes", "channel", f["channel"])],
      [t("address"), String(f["address"] ?? "—")],
      [t("location"), formatGeo(f["location"])],
      [t("parties"), Array.isArray(f["parties"]) ? (f["parties"] as Fields[]).map((p) => `${p["name"]}${p["role"] ? `（${p["role"]}）` : ""} ${p["phone"] ?? ""}`).join("；") || "—" : "—"],
      [t("assignee"), f["assignee_id"] ? userName(f["assignee_id"]) : "—"],
      [t("follow_up_at"), formatDateTime(f["follow_up_at"])],
      [t("created_at"), createdText(d)],
      [t("tags_label"), (Array.isArray(f["tags"]) ? (f["tags"] as string[]).join("、") : "") || "—"],
    ]),
    f["description"] ? h("p", { class: "prose" }, String(f["description"])) : null,
    f["resolution_summary"] ? section(t("resolution_summary"), h("p", { class: "prose" }, String(f["resolution_summary"]))) : null,
    photoStrip(f["photos"]),
    h("div", { class: "actions" },
      buttonLink(`/disputes/${id}/edit`, t("edit")),
      buttonLink(`/disputes/${id}/visit`, t("add_visit"), "button secondary"),
      role !== "lawyer" ? buttonLink(`/disputes/${id}/refer-lawyer`, t("refer_lawyer"), "button secondary") : null,
      buttonLink(`/disputes/${id}/refer-psych`, t("refer_psych"), "button secondary"),
      isAdmin ? buttonLink(`/disputes/${id}/dispatch`, t("issue_order"), "button secondary") : null,
      role === "lawyer" ? buttonLink(`/consultations/new?dispute=${id}`, t("new_consultation"), "button secondary") : null,
      ["lawyer", "community_admin"].includes(role) ? buttonLink(`/agreements/new?dispute=${id}`, t("new_agreement"), "button secondary") : null,
      buttonLink(`/agreements?dispute=${id}`, t("agreements"), "button secondary")),
    statusButtons.length ? h("div", { class: "actions" }, statusButtons) : null,
    callbackBox(id, f, role),
    section(t("visits"), visits.length ? h("ul", { class: "list" }, visits.map((v) => h("li", { class: "item" },
      h("div", { class: "item-head" }, h("strong", null, enumLabel("visits", "kind", v.fields["kind"])), h("small", null, formatDateTime(v.fields["visited_at"]))),
      v.fields["notes"] ? h("p", { class: "prose" }, String(v.fields["notes"])) : null,
      h("small", null, `${t("outcome")}：${enumLabel("visits", "outcome", v.fields["outcome"])} `, pendingBadge(v.pending)),
      photoStrip(v.fields["photos"])))) : emptyState()),
    orders.length ? section(t("orders"), h("ul", { class: "list" }, orders.map((o) => h("li", null, h("a", { class: "item", href: `#/orders/${o.id}` },
      unitName(o.fields["department_id"]), " ", statusBadge("dispatch_orders", o.fields["status"])))))) : null,
    sessions.length ? section(t("psych"), h("ul", { class: "list" }, sessions.map((s) => h("li", { class: "item" },
      userName(s.fields["psychologist_id"]), " · ", formatDateTime(s.fields["starts_at"]), " ", statusBadge("psych_sessions", s.fields["status"]))))) : null,
    d.localCreatedAt && !f["created_at"] ? null : timelineSection("disputes", id),
  );
  return { title: t("disputes"), node, live: true };
}

async function formScreen(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0];
  const existing = id ? await viewRecord("disputes", id) : undefined;
  if (id && !existing) return { title: t("edit"), node: h("p", { class: "empty" }, t("not_found")) };
  const f: Fields = existing?.fields ?? { service_type: "dispute", channel: "door_to_door", risk_level: "blue", category: "neighbour" };
  await loadDirectory(); // the first pull may have landed a moment ago
  const community = (f["community_id"] as string) ?? communityOf(ctx.user);
  // A grid worker's own grid is the natural default.
  if (!existing && ctx.user.org_unit_id !== community) f["grid_id"] = ctx.user.org_unit_id;
  const parties = partiesEditor(f["parties"]);
  const photos = photosEditor(f["photos"]);
  const gps = gpsEditor(f["location"]);
  const grids = gridsOf(community);
  const form = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    const fields: Fields = {
      title: String(v["title"] ?? "").trim() || null,
      service_type: v["service_type"],
      category: v["category"],
      description: v["description"] ?? (existing ? "" : undefined),
      risk_level: v["risk_level"],
      address: v["address"] ?? (existing ? "" : undefined),
      parties: parties.value(),
      photos: photos.value(),
      tags: String(v["tags"] ?? "").split(/[,，、]/).map((s) => s.trim()).filter(Boolean),
      location: gps.value(),
      follow_up_at: v["follow_up_at"] ? localInputToIso(String(v["follow_up_at"])) : undefined,
      grid_id: v["grid_id"] || undefined,
    };
    if (existing) {
      if (v["resolution_summary"] !== undefined) fields["resolution_summary"] = v["resolution_summary"];
      await saveChanges("disputes", existing.id, fields);
      toast(t("saved"));
      navigate(`/disputes/${existing.id}`);
    } else {
      await loadDirectory();
      const newId = await createRecord("disputes", {
        ...fields, community_id: existing ? community : communityOf(ctx.user), channel: v["channel"], status: "registered",
        parties: fields["parties"], photos: fields["photos"], tags: fields["tags"],
      });
      toast(t("saved"));
      navigate(`/disputes/${newId}`);
    }
  }) },
    field(`${t("title")} *`, textInput("title", f["title"], { required: true, maxlength: 200 })),
    h("div", { class: "grid2" },
      field(t("service_type"), enumSelect("disputes", "service_type", f["service_type"])),
      field(t("category"), enumSelect("disputes", "category", f["category"]))),
    h("div", { class: "grid2" },
      field(`${t("risk_level")} *`, enumSelect("disputes", "risk_level", f["risk_level"], { required: true })),
      existing ? null : field(t("channel"), enumSelect("disputes", "channel", f["channel"]))),
    grids.length ? field(t("grid"), optionSelect("grid_id", grids, f["grid_id"], "—")) : null,
    field(t("description"), textArea("description", f["description"], { maxlength: 10000 })),
    parties.node,
    field(t("address"), textInput("address", f["address"], { maxlength: 200 })),
    gps.node,
    photos.node,
    field(t("tags"), textInput("tags", Array.isArray(f["tags"]) ? (f["tags"] as string[]).join(", ") : "")),
    field(t("follow_up_at"), dateTimeInput("follow_up_at", f["follow_up_at"])),
    existing ? field(t("resolution_summary"), textArea("resolution_summary", f["resolution_summary"])) : null,
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("save")), buttonLink(existing ? `/disputes/${existing.id}` : "/disputes", t("cancel"), "button secondary")));
  return { title: existing ? t("edit") : t("new_dispute"), node: form };
}

async function visitScreen(ctx: Ctx): Promise<Screen> {
  const disputeId = ctx.params[0]!;
  const d = await viewRecord("disputes", disputeId);
  const photos = photosEditor([]);
  const gps = gpsEditor(undefined);
  const form = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    await createRecord("visits", {
      dispute_id: disputeId,
      visited_at: localInputToIso(String(v["visited_at"] ?? "")) ?? new Date().toISOString(),
      kind: v["kind"], notes: v["notes"], outcome: v["outcome"], location: gps.value(), photos: photos.value(),
    });
    toast(t("saved"));
    navigate(`/disputes/${disputeId}`);
  }) },
    h("p", null, String(d?.fields["title"] ?? "")),
    field(t("visited_at"), dateTimeInput("visited_at", new Date().toISOString(), { required: true })),
    h("div", { class: "grid2" }, field(t("kind"), enumSelect("visits", "kind", "visit")), field(t("outcome"), enumSelect("visits", "outcome", "none"))),
    field(t("notes"), textArea("notes", "")),
    gps.node, photos.node,
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("save")), buttonLink(`/disputes/${disputeId}`, t("cancel"), "button secondary")));
  return { title: t("add_visit"), node: form };
}

/** A referral to a lawyer: the lawyer becomes the assignee and a referral visit records it. */
async function referLawyerScreen(ctx: Ctx): Promise<Screen> {
  const disputeId = ctx.params[0]!;
  await loadDirectory();
  const lawyers = usersWithRole("lawyer");
  const form = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    const lawyer = String(v["lawyer"] ?? "");
    if (!lawyer) return;
    await saveChanges("disputes", disputeId, { assignee_id: lawyer });
    await createRecord("visits", { dispute_id: disputeId, visited_at: new Date().toISOString(), kind: "referral", outcome: "referred",
      notes: `${t("referred_to", { who: userName(lawyer) })}${v["notes"] ? `：${v["notes"]}` : ""}` });
    toast(t("referred_to", { who: userName(lawyer) }));
    navigate(`/disputes/${disputeId}`);
  }) },
    field(t("lawyer"), optionSelect("lawyer", lawyers, lawyers[0]?.id, undefined, true)),
    field(t("notes"), textArea("notes", "")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("refer_lawyer")), buttonLink(`/disputes/${disputeId}`, t("cancel"), "button secondary")));
  return { title: t("refer_lawyer"), node: form };
}

/** A referral to a psychologist: a session in status `requested` that the psychologist schedules. */
async function referPsychScreen(ctx: Ctx): Promise<Screen> {
  const disputeId = ctx.params[0]!;
  await loadDirectory(); // the first pull may have landed a moment ago
  const psychologists = usersWithRole("psychologist");
  const tomorrow = new Date(Date.now() + 86_400_000);
  tomorrow.setUTCHours(2, 0, 0, 0); // 10:00 Shanghai
  const form = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    const psy = String(v["psychologist"] ?? "");
    const starts = localInputToIso(String(v["starts_at"] ?? ""));
    if (!psy || !starts) return;
    const ends = new Date(Date.parse(starts) + 50 * 60_000).toISOString();
    await createRecord("psych_sessions", { psychologist_id: psy, starts_at: starts, ends_at: ends, client_ref: v["client_ref"], dispute_id: disputeId, status: "requested" });
    await createRecord("visits", { dispute_id: disputeId, visited_at: new Date().toISOString(), kind: "referral", outcome: "referred",
      notes: t("referred_to", { who: userName(psy) }) });
    toast(t("referred_to", { who: userName(psy) }));
    navigate(`/disputes/${disputeId}`);
  }) },
    field(t("psychologist"), optionSelect("psychologist", psychologists, psychologists[0]?.id, undefined, true)),
    field(t("preferred_time"), dateTimeInput("starts_at", tomorrow.toISOString(), { required: true })),
    field(t("client_ref"), textInput("client_ref", "", { maxlength: 64 })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("refer_psych")), buttonLink(`/disputes/${disputeId}`, t("cancel"), "button secondary")));
  return { title: t("refer_psych"), node: form };
}

export function registerDisputeRoutes(): void {
  route("/disputes", listScreen);
  route("/disputes/new", formScreen);
  route("/disputes/:id", detailScreen);
  route("/disputes/:id/edit", formScreen);
  route("/disputes/:id/visit", visitScreen);
  route("/disputes/:id/refer-lawyer", referLawyerScreen);
  route("/disputes/:id/refer-psych", referPsychScreen);
}

