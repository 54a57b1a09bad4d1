/** Resident lawyer: the consultation log, this month's summary, link to a dispute. */
import { h, formValues, toast } from "../dom";
import { t, enumLabel } from "../i18n";
import { formatDateTime, isoToLocalInput, localInputToIso } from "../format";
import { navigate, route, type Ctx, type Screen } from "../app";
import { createRecord, saveChanges, viewCollection, viewRecord } from "../../sync/view";
import { communityOf, loadDirectory } from "../directory";
import {
  buttonLink, dateTimeInput, emptyState, enumSelect, field, optionSelect, pendingBadge, rejectionNote, rejectionsFor, section, textArea, textInput, submitHandler,
} from "../widgets";
import type { Fields } from "../../types";

let query = "";

function monthKey(iso: unknown): string {
  return isoToLocalInput(iso).slice(0, 7); // Shanghai calendar month
}

async function listScreen(): Promise<Screen> {
  const all = (await viewCollection("consultations")).sort((a, b) => String(b.fields["consulted_at"]).localeCompare(String(a.fields["consulted_at"])));
  const thisMonth = monthKey(new Date().toISOString());
  const month = all.filter((c) => monthKey(c.fields["consulted_at"]) === thisMonth);
  const minutes = month.reduce((s, c) => s + (Number(c.fields["duration_minutes"]) || 0), 0);
  const byTopic = new Map<string, number>();
  for (const c of month) byTopic.set(String(c.fields["topic"] ?? "other"), (byTopic.get(String(c.fields["topic"] ?? "other")) ?? 0) + 1);
  const list = h("ul", { class: "list" });
  const draw = () => {
    const q = query.toLowerCase();
    const shown = all.filter((c) => !q || [c.fields["client_name"], c.fields["question"], c.fields["advice"]].join(" ").toLowerCase().includes(q));
    list.replaceChildren(...shown.map((c) => h("li", null, h("a", { class: "item", href: `#/consultations/${c.id}` },
      h("div", { class: "item-head" }, h("strong", null, enumLabel("consultations", "topic", c.fields["topic"])), h("small", null, formatDateTime(c.fields["consulted_at"]))),
      h("small", null, `${String(c.fields["client_name"] ?? "")} · ${enumLabel("consultations", "referral", c.fields["referral"])} `, pendingBadge(c.pending))))));
    if (!shown.length) list.appendChild(h("li", null, emptyState()));
  };
  draw();
  const node = h("div", { class: "stack" },
    section(t("month_summary"), h("p", null, t("month_count", { n: month.length, m: minutes })),
      h("p", { class: "chips" }, [...byTopic].map(([k, n]) => h("span", { class: "badge" }, `${enumLabel("consultations", "topic", k)} ${n}`)))),
    h("div", { class: "toolbar" },
      h("input", { type: "search", placeholder: t("search"), value: query, "aria-label": t("search"), oninput: (ev: Event) => { query = (ev.target as HTMLInputElement).value; draw(); } }),
      buttonLink("/consultations/new", `+ ${t("new_consultation")}`)),
    list);
  return { title: t("consultations"), node, live: true };
}

async function formScreen(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0];
  const existing = id ? await viewRecord("consultations", id) : undefined;
  if (id && !existing) return { title: t("consultations"), node: h("p", { class: "empty" }, t("not_found")), live: true };
  const f: Fields = existing?.fields ?? { consulted_at: new Date().toISOString(), topic: "labour", referral: "none", duration_minutes: 30, dispute_id: ctx.query.get("dispute") ?? undefined };
  const disputes = (await viewCollection("disputes")).map((d) => ({ id: d.id, name: String(d.fields["title"] ?? d.id) }));
  const rejections = id ? await rejectionsFor("consultations", id) : [];
  const form = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    const fields: Fields = {
      consulted_at: localInputToIso(String(v["consulted_at"] ?? "")),
      client_name: v["client_name"] ?? "",
      client_phone: v["client_phone"] ?? "",
      topic: v["topic"],
      question: v["question"] ?? "",
      advice: v["advice"] ?? "",
      referral: v["referral"],
      duration_minutes: v["duration_minutes"] ? Number(v["duration_minutes"]) : undefined,
      dispute_id: v["dispute_id"] || undefined,
    };
    if (existing) {
      await saveChanges("consultations", existing.id, fields);
    } else {
      await loadDirectory();
      await createRecord("consultations", { ...fields, community_id: communityOf(ctx.user) });
    }
    toast(t("saved"));
    navigate("/consultations");
  }) },
    rejections.map((r) => rejectionNote(r)),
    field(t("consulted_at"), dateTimeInput("consulted_at", f["consulted_at"], { required: true })),
    h("div", { class: "grid2" },
      field(t("client_name"), textInput("client_name", f["client_name"], { maxlength: 200 })),
      field(t("client_phone"), textInput("client_phone", f["client_phone"], { type: "tel", maxlength: 32 }))),
    h("div", { class: "grid2" }, field(t("topic"), enumSelect("consultations", "topic", f["topic"])),
      field(t("duration_minutes"), textInput("duration_minutes", f["duration_minutes"], { type: "number", min: 0, max: 1440 }))),
    field(t("question"), textArea("question", f["question"])),
    field(t("advice"), textArea("advice", f["advice"])),
    field(t("referral"), enumSelect("consultations", "referral", f["referral"])),
    field(t("linked_dispute"), optionSelect("dispute_id", disputes, f["dispute_id"], "—")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("save")), buttonLink("/consultations", t("cancel"), "button secondary")));
  return { title: existing ? t("edit") : t("new_consultation"), node: form };
}

export function registerConsultationRoutes(): void {
  route("/consultations", listScreen);
  route("/consultations/new", formScreen);
  route("/consultations/:id", formScreen);
}
