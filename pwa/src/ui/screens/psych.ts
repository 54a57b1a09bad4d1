/**
 * Psychologist: availability (psych_slots), a week calendar of slots and sessions, booking,
 * rescheduling, cancelling and completing sessions, private notes and a risk flag. A booking the
 * server refuses with `slot_taken` shows the suggested free slots to pick from.
 */
import { h, formValues, toast } from "../dom";
import { t, enumLabel, errorText } from "../i18n";
import { formatDateTime, formatDay, formatTime, localInputToIso, shanghaiDayStart } from "../format";
import { navigate, route, type Ctx, type Screen } from "../app";
import { createRecord, deleteRecord, retryRejected, saveChanges, viewCollection, viewRecord } from "../../sync/view";
import { transitions } from "../../schema";
import { roomsNear, unitName, userName } from "../directory";
import { listRejected } from "../../storage/outbox";
import {
  buttonLink, dateTimeInput, dl, enumSelect, field, optionSelect, pendingBadge, section, statusBadge, textArea, textInput, submitHandler,
} from "../widgets";
import type { Fields, RejectedEntry, ViewRecord } from "../../types";

const DAY = 86_400_000;
const ACTIVE = ["requested", "scheduled"];

function mine<T extends ViewRecord>(ctx: Ctx, list: T[]): T[] {
  return ctx.user.role === "psychologist" ? list.filter((r) => r.fields["psychologist_id"] === ctx.user.id) : list;
}

interface Suggestion {
  slot_id?: string;
  starts_at: string;
  ends_at: string;
  room_id?: string | null;
}

/** A `slot_taken` rejection with its suggestions as buttons; other rejections with their reason. */
export function rejectionPanel(r: RejectedEntry): HTMLElement {
  const suggestions = (r.error.details?.["suggested_slots"] ?? []) as Suggestion[];
  const isSlot = r.error.code === "slot_taken";
  return h("div", { class: "rejection" },
    h("strong", null, errorText(r.error.code, r.error.message)),
    isSlot && r.fields["starts_at"] ? h("div", null, `${formatDateTime(r.fields["starts_at"])} – ${formatTime(r.fields["ends_at"])}`) : null,
    isSlot ? h("p", null, suggestions.length ? t("pick_suggestion") : t("no_suggestions")) : null,
    isSlot ? h("div", { class: "actions" }, suggestions.map((s) =>
      h("button", { type: "button", class: "secondary suggestion", onclick: async () => {
        await retryRejected(r, { starts_at: s.starts_at, ends_at: s.ends_at, ...(s.room_id ? { room_id: s.room_id } : {}) });
        toast(t("saved"));
      } }, `${formatDateTime(s.starts_at)}–${formatTime(s.ends_at)}${s.room_id ? ` · ${unitName(s.room_id)}` : ""}`))) : null);
}

async function calendarScreen(ctx: Ctx): Promise<Screen> {
  const offset = Number(ctx.query.get("week") ?? 0);
  // Week starts Monday, Shanghai time.
  const today = shanghaiDayStart(Date.now());
  const weekday = (new Date(today + 8 * 3600_000).getUTCDay() + 6) % 7;
  const start = today - weekday * DAY + offset * 7 * DAY;
  const slots = mine(ctx, await viewCollection("psych_slots"));
  const sessions = mine(ctx, await viewCollection("psych_sessions"));
  const requested = sessions.filter((s) => s.fields["status"] === "requested");
  const rejected = (await listRejected()).filter((r) => r.collection === "psych_sessions");
  const inDay = (r: ViewRecord, d: number) => {
    const s = Date.parse(String(r.fields["starts_at"]));
    return s >= d && s < d + DAY;
  };
  const days = Array.from({ length: 7 }, (_, i) => start + i * DAY);
  const node = h("div", { class: "stack" },
    rejected.map(rejectionPanel),
    requested.length ? section(t("requested_sessions"), h("ul", { class: "list" }, requested.map(sessionItem))) : null,
    h("div", { class: "toolbar week-nav" },
      buttonLink(`/psych?week=${offset - 1}`, `‹ ${t("prev_week")}`, "button secondary"),
      h("strong", null, offset === 0 ? t("week") : `${formatDay(new Date(start))} – ${formatDay(new Date(start + 6 * DAY))}`),
      buttonLink(`/psych?week=${offset + 1}`, `${t("next_week")} ›`, "button secondary"),
      buttonLink("/psych/slots/new", `+ ${t("new_slot")}`)),
    h("div", { class: "week" }, days.map((d) => {
      const items = [
        ...slots.filter((s) => inDay(s, d)).map((s) => ({ r: s, kind: "slot" as const })),
        ...sessions.filter((s) => inDay(s, d)).map((s) => ({ r: s, kind: "session" as const })),
      ].sort((a, b) => String(a.r.fields["starts_at"]).localeCompare(String(b.r.fields["starts_at"])));
      return h("div", { class: `day${d === today ? " today" : ""}` }, h("h3", null, formatDay(new Date(d))),
        items.length ? items.map(({ r, kind }) => kind === "slot" ? slotChip(r, sessions) : sessionChip(r)) : h("small", { class: "muted" }, "—"));
    })));
  return { title: t("psych"), node, live: true };
}

/**
 * A slot some active session of the same psychologist overlaps is taken, as the server sees it
 * (a booking there is refused with slot_taken): it says so and offers no "book" button.
 */
export function slotTaken(slot: ViewRecord, sessions: ViewRecord[]): boolean {
  const s = Date.parse(String(slot.fields["starts_at"]));
  const e = Date.parse(String(slot.fields["ends_at"]));
  return sessions.some((x) => ACTIVE.includes(String(x.fields["status"])) && x.fields["psychologist_id"] === slot.fields["psychologist_id"] &&
    Date.parse(String(x.fields["starts_at"])) < e && Date.parse(String(x.fields["ends_at"])) > s);
}

function slotChip(s: ViewRecord, sessions: ViewRecord[]): HTMLElement {
  const f = s.fields;
  const blocked = f["status"] === "blocked";
  const taken = !blocked && slotTaken(s, sessions);
  const label = taken ? t("slot_booked") : enumLabel("psych_slots", "status", f["status"] ?? "open");
  return h("div", { class: `chip slot${blocked ? " blocked" : ""}${taken ? " taken" : ""}` },
    h("a", { href: `#/psych/slots/${s.id}` }, `${formatTime(f["starts_at"])}–${formatTime(f["ends_at"])} ${label}`),
    f["room_id"] ? h("small", null, ` ${unitName(f["room_id"])}`) : null, pendingBadge(s.pending),
    blocked || taken ? null : h("a", { class: "button small", href: `#/psych/sessions/new?slot=${s.id}` }, t("book")));
}

function sessionChip(s: ViewRecord): HTMLElement {
  const f = s.fields;
  return h("a", { class: `chip session status-${String(f["status"])}`, href: `#/psych/sessions/${s.id}` },
    `${formatTime(f["starts_at"])}–${formatTime(f["ends_at"])} `, statusBadge("psych_sessions", f["status"]),
    f["client_ref"] ? ` ${String(f["client_ref"])}` : "", ["high", "critical"].includes(String(f["risk_level"])) ? " ⚠" : "", pendingBadge(s.pending));
}

function sessionItem(s: ViewRecord): HTMLElement {
  const f = s.fields;
  return h("li", null, h("a", { class: "item", href: `#/psych/sessions/${s.id}` },
    h("div", { class: "item-head" }, h("strong", null, formatDateTime(f["starts_at"])), statusBadge("psych_sessions", f["status"])),
    h("small", null, [f["client_ref"] ? String(f["client_ref"]) : "", f["dispute_id"] ? t("from_dispute") : ""].filter(Boolean).join(" · "), " ", pendingBadge(s.pending))));
}

async function slotForm(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0];
  const existing = id ? await viewRecord("psych_slots", id) : undefined;
  const nineTomorrow = shanghaiDayStart(Date.now()) + DAY + 9 * 3600_000; // 09:00 Shanghai
  const f: Fields = existing?.fields ?? { starts_at: new Date(nineTomorrow).toISOString(), ends_at: new Date(nineTomorrow + 3 * 3600_000).toISOString(), status: "open" };
  const rooms = roomsNear(ctx.user);
  const form = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    const fields: Fields = {
      starts_at: localInputToIso(String(v["starts_at"])), ends_at: localInputToIso(String(v["ends_at"])),
      room_id: v["room_id"] || undefined, status: v["status"],
    };
    if (existing) await saveChanges("psych_slots", existing.id, fields);
    else await createRecord("psych_slots", { ...fields, psychologist_id: ctx.user.id });
    toast(t("saved"));
    navigate("/psych");
  }) },
    h("div", { class: "grid2" },
      field(t("starts_at"), dateTimeInput("starts_at", f["starts_at"], { required: true })),
      field(t("ends_at"), dateTimeInput("ends_at", f["ends_at"], { required: true }))),
    field(t("room"), optionSelect("room_id", rooms, f["room_id"] ?? rooms[0]?.id, "—")),
    field(t("status"), enumSelect("psych_slots", "status", f["status"])),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("save")),
      existing ? h("button", { type: "button", class: "danger", onclick: async () => {
        if (!confirm(t("confirm_delete"))) return;
        await deleteRecord("psych_slots", existing.id);
        navigate("/psych");
      } }, t("delete")) : null,
      buttonLink("/psych", t("cancel"), "button secondary")));
  return { title: t("new_slot"), node: form };
}

async function sessionScreen(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0];
  const existing = id ? await viewRecord("psych_sessions", id) : undefined;
  const rejections = (await listRejected()).filter((r) => r.collection === "psych_sessions" && r.record_id === id);
  if (id && !existing) {
    // A booking the server refused never became a record: show why, and the way forward.
    const node = rejections.length ? h("div", { class: "stack" }, rejections.map(rejectionPanel)) : h("p", { class: "empty" }, t("not_found"));
    return { title: t("session"), node, live: true };
  }
  const slotId = ctx.query.get("slot");
  const slot = slotId ? await viewRecord("psych_slots", slotId) : undefined;
  const f: Fields = existing?.fields ?? {
    starts_at: slot?.fields["starts_at"], ends_at: slot?.fields["ends_at"], room_id: slot?.fields["room_id"],
    psychologist_id: slot?.fields["psychologist_id"] ?? ctx.user.id, status: "scheduled", risk_level: "none",
  };
  const isOwner = ctx.user.role === "psychologist" && f["psychologist_id"] === ctx.user.id;
  const status = String(f["status"] ?? "requested");
  const next = transitions("psych_sessions", "status")?.[status] ?? [];
  const rooms = roomsNear(ctx.user);
  const form = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    const fields: Fields = {
      starts_at: localInputToIso(String(v["starts_at"])), ends_at: localInputToIso(String(v["ends_at"])),
      room_id: v["room_id"] || undefined, client_ref: v["client_ref"] ?? "",
    };
    if (isOwner) {
      fields["notes"] = v["notes"] ?? "";
      fields["risk_level"] = v["risk_level"];
    }
    if (existing) {
      await saveChanges("psych_sessions", existing.id, fields);
      toast(t("saved"));
    } else {
      const newId = await createRecord("psych_sessions", { ...fields, psychologist_id: f["psychologist_id"], status: "scheduled" });
      toast(t("saved"));
      navigate(`/psych/sessions/${newId}`);
    }
  }) },
    h("div", { class: "grid2" },
      field(t("starts_at"), dateTimeInput("starts_at", f["starts_at"], { required: true })),
      field(t("ends_at"), dateTimeInput("ends_at", f["ends_at"], { required: true }))),
    field(t("room"), optionSelect("room_id", rooms, f["room_id"], "—")),
    field(t("client_ref"), textInput("client_ref", f["client_ref"], { maxlength: 64 })),
    isOwner ? field(t("risk_flag"), enumSelect("psych_sessions", "risk_level", f["risk_level"] ?? "none")) : null,
    isOwner ? field(t("private_notes"), textArea("notes", f["notes"], { rows: 6 })) : null,
    h("div", { class: "actions" }, h("button", { type: "submit" }, existing ? `${t("save")} / ${t("reschedule")}` : t("book"))));
  const transitionLabel: Record<string, string> = { scheduled: t("schedule"), cancelled: t("cancel"), completed: t("complete"), no_show: t("no_show") };
  const node = h("div", { class: "stack" },
    rejections.map(rejectionPanel),
    existing ? h("div", null, statusBadge("psych_sessions", status), " ", pendingBadge(existing.pending)) : null,
    existing ? dl([
      [t("psychologist"), userName(f["psychologist_id"])],
      [t("from_dispute"), f["dispute_id"] ? h("a", { href: `#/disputes/${String(f["dispute_id"])}` }, t("open")) : "—"],
    ]) : null,
    existing && isOwner && next.length ? h("div", { class: "actions" }, next.map((s) =>
      h("button", { type: "button", class: s === "cancelled" ? "danger" : "secondary", onclick: async () => {
        await saveChanges("psych_sessions", existing.id, { status: s });
        toast(t("saved"));
      } }, transitionLabel[s] ?? s))) : null,
    ACTIVE.includes(status) || !existing ? form : section(t("session"), dl([[t("starts_at"), formatDateTime(f["starts_at"])], [t("risk_flag"), enumLabel("psych_sessions", "risk_level", f["risk_level"])]]),
      isOwner ? form : null));
  return { title: t("session"), node, live: Boolean(existing) };
}

export function registerPsychRoutes(): void {
  route("/psych", calendarScreen);
  route("/psych/slots/new", slotForm);
  route("/psych/slots/:id", slotForm);
  route("/psych/sessions/new", sessionScreen);
  route("/psych/sessions/:id", sessionScreen);
  // Psych notices link to "#/psych/<session id>".
  route("/psych/:id", sessionScreen);
}
