/**
 * Mediation agreements (人民调解协议书): drafted on the phone from a dispute, signed by each
 * party on the screen (signature.ts), then followed to the court (司法确认). Everything but
 * the PDF works offline; the server clears signatures if the text changes after signing and
 * keeps a submitted text fixed (docs/agreements.md).
 */
import { h, formValues, toast } from "../dom";
import { t } from "../i18n";
import { formatDateTime, localInputToIso } from "../format";
import { navigate, route, type Ctx, type Screen } from "../app";
import { createRecord, saveChanges, viewCollection, viewRecord } from "../../sync/view";
import { loadDirectory, communityOf, unitName, unitsOfKind, userName, usersWithRole } from "../directory";
import { addPhoto, photoUrl } from "../capture";
import { requestBlob } from "../../api/client";
import {
  buttonLink, dateTimeInput, dl, emptyState, field, optionSelect, pendingBadge, rejectionNote, rejectionsFor, section, submitHandler, textArea, textInput,
} from "../widgets";
import type { Fields, User, ViewRecord } from "../../types";
import "./agreements_text";

const WRITERS = ["lawyer", "community_admin"];
const TEMPLATES = ["instalments", "apology", "repair", "move_out"] as const;

export function statusText(status: unknown): string {
  return t(`agreement_status_${String(status ?? "draft")}`);
}

function parties(f: Fields): Fields[] {
  return Array.isArray(f["parties"]) ? (f["parties"] as Fields[]) : [];
}

function signatures(f: Fields): Fields[] {
  return Array.isArray(f["signatures"]) ? (f["signatures"] as Fields[]) : [];
}

function unsigned(f: Fields): string[] {
  const signed = new Set(signatures(f).map((s) => s["party_name"]));
  return parties(f).map((p) => String(p["name"])).filter((n) => !signed.has(n));
}

/** Terms as numbered lines, without numbers the user typed (the PDF numbers them the same way). */
export function termLines(terms: unknown): string[] {
  return String(terms ?? "").split("\n")
    .map((l) => l.replace(/^\s*(第[一二三四五六七八九十百零〇0-9]+条|[0-9]+\s*[.、．)）]|[（(][0-9]+[)）]|[一二三四五六七八九十]+\s*、)\s*/, "").trim())
    .filter(Boolean);
}

function canWrite(user: User): boolean {
  return WRITERS.includes(user.role);
}

// -- list -----------------------------------------------------------------------------------
let query = "";

async function listScreen(ctx: Ctx): Promise<Screen> {
  const only = ctx.query.get("dispute");
  const disputes = new Map((await viewCollection("disputes")).map((d) => [d.id, d]));
  const all = (await viewCollection("agreements"))
    .filter((a) => !only || a.fields["dispute_id"] === only)
    .sort((a, b) => String(b.fields["updated_at"] ?? "9").localeCompare(String(a.fields["updated_at"] ?? "9")));
  const list = h("ul", { class: "list" });
  const draw = () => {
    const q = query.toLowerCase();
    const shown = all.filter((a) => !q || [disputes.get(String(a.fields["dispute_id"]))?.fields["title"], ...parties(a.fields).map((p) => p["name"]), a.fields["terms"]]
      .join(" ").toLowerCase().includes(q));
    list.replaceChildren(...shown.map((a) => h("li", null, h("a", { class: "item", href: `#/agreements/${a.id}` },
      h("div", { class: "item-head" }, h("strong", null, String(disputes.get(String(a.fields["dispute_id"]))?.fields["title"] ?? t("agreement"))),
        h("span", { class: "badge" }, statusText(a.fields["status"]))),
      h("small", null, parties(a.fields).map((p) => p["name"]).join("、"), " ", pendingBadge(a.pending))))));
    if (!shown.length) list.appendChild(h("li", null, emptyState()));
  };
  draw();
  const node = h("div", { class: "stack" },
    h("div", { class: "toolbar" },
      h("input", { type: "search", placeholder: t("search"), value: query, "aria-label": t("search"), oninput: (ev: Event) => { query = (ev.target as HTMLInputElement).value; draw(); } }),
      only && canWrite(ctx.user) ? buttonLink(`/agreements/new?dispute=${only}`, `+ ${t("new_agreement")}`) : null),
    list);
  return { title: t("agreements"), node, live: true };
}

// -- drafting -------------------------------------------------------------------------------
/** Party rows: a checkbox per dispute party, with role and the last four ID characters. */
function partyRows(candidates: Fields[], chosen: Fields[]): { node: HTMLElement; value: () => Fields[] } {
  const byName = new Map(chosen.map((p) => [String(p["name"]), p]));
  const rows = candidates.map((c, i) => {
    const name = String(c["name"]);
    const mine = byName.get(name);
    const box = h("input", { type: "checkbox", name: `party_${i}`, checked: chosen.length === 0 || Boolean(mine) });
    const role = textInput(`party_role_${i}`, mine?.["role"] ?? c["role"] ?? "", { maxlength: 64, "aria-label": t("agreement_party_role") });
    const last4 = textInput(`party_last4_${i}`, mine?.["id_number_last4"] ?? "", {
      maxlength: 4, inputmode: "text", pattern: "[0-9]{3}[0-9Xx]", placeholder: "1234", "aria-label": t("id_last4"),
    });
    const value = (): Fields | null => {
      if (!box.checked) return null;
      const p: Fields = { name };
      if (role.value.trim()) p["role"] = role.value.trim();
      if (last4.value.trim()) p["id_number_last4"] = last4.value.trim().toUpperCase();
      return p;
    };
    const node = h("div", { class: "party" }, h("label", null, box, " ", h("strong", null, name)),
      h("div", { class: "grid2" }, field(t("agreement_party_role"), role), field(t("id_last4"), last4)));
    return { node, value };
  });
  return {
    node: section(t("agreement_parties"), candidates.length ? h("div", { class: "stack" }, rows.map((r) => r.node), h("small", null, t("id_last4_hint"))) : h("p", { class: "error" }, t("no_dispute_parties"))),
    value: () => rows.map((r) => r.value()).filter((p): p is Fields => p !== null),
  };
}

function templateButtons(terms: HTMLTextAreaElement, who: () => Fields[]): HTMLElement {
  return h("div", { class: "chips", role: "group", "aria-label": t("term_templates") },
    TEMPLATES.map((key) => h("button", { type: "button", class: "secondary", "data-template": key, onclick: () => {
      const names = who().map((p) => String(p["name"]));
      const line = t(`tpl_${key}_text`, { payer: names[1] ?? "乙方", payee: names[0] ?? "甲方", n: 3 });
      terms.value = terms.value.trim() ? `${terms.value.trim()}\n${line}` : line;
      terms.dispatchEvent(new Event("input", { bubbles: true }));
    } }, t(`tpl_${key}`))));
}

function mediators(user: User): { id: string; name: string }[] {
  const community = communityOf(user);
  const people = [...usersWithRole("lawyer"), ...usersWithRole("community_admin")].filter((u) => u.org === community || u.id === user.id);
  return people.length ? people : [{ id: user.id, name: userName(user.id) }];
}

async function draftScreen(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0];
  const existing = id ? await viewRecord("agreements", id) : undefined;
  const disputeId = String(existing?.fields["dispute_id"] ?? ctx.query.get("dispute") ?? "");
  const dispute = disputeId ? await viewRecord("disputes", disputeId) : undefined;
  if (!dispute && !existing) return { title: t("new_agreement"), node: h("p", { class: "empty" }, t("not_found")) };
  await loadDirectory();
  const f: Fields = existing?.fields ?? { facts: dispute?.fields["description"] ?? "", mediator_id: ctx.user.id };
  const candidates = Array.isArray(dispute?.fields["parties"]) ? (dispute!.fields["parties"] as Fields[]) : parties(f);
  const who = partyRows(candidates, parties(f));
  const terms = textArea("terms", f["terms"], { rows: 8, maxlength: 10000 });
  const given = signatures(f).length;
  const rejections = id ? await rejectionsFor("agreements", id) : [];
  const form = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    const chosen = who.value();
    if (!chosen.length) { toast(t("choose_parties"), "error"); return; }
    const fields: Fields = { parties: chosen, facts: v["facts"] ?? "", terms: v["terms"] ?? "", mediator_id: v["mediator_id"] || undefined };
    if (existing) {
      if (given && !confirm(t("edit_clears_signatures", { n: given }))) return;
      // the server clears them too (and says so); clearing here shows it at once, offline
      if (given) fields["signatures"] = [];
      if (existing.fields["status"] === "signed") fields["status"] = "draft";
      await saveChanges("agreements", existing.id, fields);
      toast(given ? t("signatures_cleared") : t("saved"));
      navigate(`/agreements/${existing.id}`);
    } else {
      const newId = await createRecord("agreements", { ...fields, dispute_id: disputeId, status: "draft" });
      toast(t("saved"));
      navigate(`/agreements/${newId}`);
    }
  }) },
    rejections.map((r) => rejectionNote(r)),
    dispute ? h("p", null, h("strong", null, String(dispute.fields["title"] ?? ""))) : null,
    who.node,
    field(t("agreement_facts"), textArea("facts", f["facts"], { rows: 4, maxlength: 10000 })),
    field(t("agreement_terms"), terms),
    h("div", null, h("small", null, t("term_templates")), templateButtons(terms, who.value)),
    field(t("mediator"), optionSelect("mediator_id", mediators(ctx.user), f["mediator_id"] ?? ctx.user.id)),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("save")),
      buttonLink(existing ? `/agreements/${existing.id}` : `/disputes/${disputeId}`, t("cancel"), "button secondary")));
  return { title: existing ? t("edit_terms") : t("new_agreement"), node: form };
}

// -- detail and the court steps ------------------------------------------------------------
function signatureThumb(sha: string): HTMLElement {
  const img = h("img", { class: "signature-thumb", alt: t("signed_mark"), style: "display:block;max-height:56px;max-width:60%;background:#fff" });
  void photoUrl(sha).then((url) => { if (url) img.src = url; });
  return img;
}

function partyList(id: string, f: Fields, writable: boolean): HTMLElement {
  const byName = new Map(signatures(f).map((s) => [String(s["party_name"]), s]));
  return h("ul", { class: "list" }, parties(f).map((p, i) => {
    const sig = byName.get(String(p["name"]));
    return h("li", { class: "item", "data-party": String(p["name"]) },
      h("div", { class: "item-head" },
        h("strong", null, `${p["role"] ? `${String(p["role"])}：` : ""}${String(p["name"])}`),
        h("span", { class: `badge ${sig ? "ok" : ""}` }, sig ? t("signed_mark") : t("not_signed_mark"))),
      p["id_number_last4"] ? h("small", null, `${t("id_last4")}：${String(p["id_number_last4"])}`) : null,
      sig ? signatureThumb(String(sig["attachment"])) : null,
      writable && f["status"] === "draft" ? buttonLink(`/agreements/${id}/sign/${i}`, sig ? `${t("sign")}（${t("clear_signature")}）` : t("sign"), "button secondary") : null);
  }));
}

function stepForm(id: string, name: string, children: HTMLElement[], build: (v: Record<string, string | boolean>) => Fields): HTMLElement {
  const form = h("form", { class: "stack step", "data-step": name, novalidate: true, onsubmit: submitHandler(async () => {
    await saveChanges("agreements", id, build(formValues(form)));
    toast(t("saved"));
  }) }, children, h("div", { class: "actions" }, h("button", { type: "submit" }, t(name))));
  return form;
}

function when(v: Record<string, string | boolean>, key: string): string | undefined {
  return v[key] ? localInputToIso(String(v[key])) : undefined;
}

function rooms(user: User): { id: string; name: string }[] {
  const all = unitsOfKind("confirmation_room");
  const community = communityOf(user);
  return [...all.filter((r) => r.parent === community), ...all.filter((r) => r.parent !== community)];
}

function courtSteps(a: ViewRecord, user: User): HTMLElement | null {
  const f = a.fields;
  const status = String(f["status"] ?? "draft");
  if (!canWrite(user)) return null;
  if (status === "signed") {
    return stepForm(a.id, "submit_application", [
      field(t("court_name"), textInput("court_name", f["court_name"] ?? "", { required: true, maxlength: 200 })),
      field(t("confirmation_room"), optionSelect("confirmation_room_id", rooms(user), f["confirmation_room_id"], undefined, true)),
      field(t("submitted_at"), dateTimeInput("submitted_at", f["submitted_at"] ?? new Date().toISOString())),
    ], (v) => ({ status: "submitted", court_name: String(v["court_name"] ?? "").trim(), confirmation_room_id: v["confirmation_room_id"] || undefined, submitted_at: when(v, "submitted_at") }));
  }
  if (status !== "submitted") return null;
  let ruling = "";
  const scan = h("input", { type: "file", accept: "image/*", capture: "environment", "aria-label": t("ruling_scan"), onchange: async (ev: Event) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (file) ruling = await addPhoto(file);
  } });
  return h("div", { class: "stack" },
    stepForm(a.id, "record_acceptance", [
      field(t("court_case_number"), textInput("court_case_number", f["court_case_number"] ?? "", { maxlength: 64 })),
      field(t("accepted_at"), dateTimeInput("accepted_at", f["accepted_at"] ?? new Date().toISOString())),
    ], (v) => ({ court_case_number: String(v["court_case_number"] ?? "").trim() || undefined, accepted_at: when(v, "accepted_at") })),
    stepForm(a.id, "record_confirmed", [
      field(t("ruling_scan"), scan),
      field(t("ruled_at"), dateTimeInput("ruled_at", new Date().toISOString())),
    ], (v) => ({ status: "confirmed", ruling: ruling || undefined, ruled_at: when(v, "ruled_at") })),
    stepForm(a.id, "record_rejected", [
      field(t("rejection_reason"), textArea("rejection_reason", f["rejection_reason"] ?? "", { maxlength: 10000 })),
      field(t("ruled_at"), dateTimeInput("ruled_at", new Date().toISOString())),
    ], (v) => ({ status: "rejected", rejection_reason: String(v["rejection_reason"] ?? "").trim() || undefined, ruled_at: when(v, "ruled_at") })));
}

async function openPdf(id: string): Promise<void> {
  if (!navigator.onLine) { toast(t("document_offline"), "error"); return; }
  try {
    const blob = await requestBlob(`/api/agreements/${id}/document.pdf`);
    window.open(URL.createObjectURL(blob), "_blank");
  } catch {
    toast(t("document_offline"), "error");
  }
}

async function detailScreen(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0]!;
  const a = await viewRecord("agreements", id);
  if (!a) return { title: t("agreement"), node: h("p", { class: "empty" }, t("not_found")), live: true };
  await loadDirectory();
  const f = a.fields;
  const status = String(f["status"] ?? "draft");
  const writable = canWrite(ctx.user);
  const dispute = await viewRecord("disputes", String(f["dispute_id"]));
  const rejections = await rejectionsFor("agreements", id);
  const missing = unsigned(f);
  const node = h("div", { class: "stack" },
    rejections.map((r) => rejectionNote(r)),
    h("div", { class: "item-head" }, h("h2", { class: "title" }, t("agreement")), h("span", { class: "badge", "data-status": status }, statusText(status))),
    h("div", null, pendingBadge(a.pending)),
    dl([
      [t("linked_dispute"), dispute ? h("a", { href: `#/disputes/${dispute.id}` }, String(dispute.fields["title"] ?? "—")) : "—"],
      [t("mediator"), userName(f["mediator_id"])],
      [t("signed_at_label"), formatDateTime(f["signed_at"])],
      [t("submit_deadline"), formatDateTime(f["submit_by"])],
      [t("court_name"), String(f["court_name"] ?? "—")],
      [t("confirmation_room"), f["confirmation_room_id"] ? unitName(f["confirmation_room_id"]) : "—"],
      [t("court_case_number"), String(f["court_case_number"] ?? "—")],
      ...(f["rejection_reason"] ? [[t("rejection_reason"), String(f["rejection_reason"])] as [string, string]] : []),
    ]),
    section(t("agreement_parties"), partyList(id, f, writable)),
    section(t("agreement_facts"), h("p", { class: "prose" }, String(f["facts"] ?? "—"))),
    section(t("agreement_terms_title"), h("ol", { class: "terms" }, termLines(f["terms"]).map((line) => h("li", null, line)))),
    h("div", { class: "actions" },
      writable && ["draft", "signed"].includes(status) ? buttonLink(`/agreements/${id}/edit`, t("edit_terms"), "button secondary") : null,
      writable && status === "draft" && !missing.length && parties(f).length ? h("button", { type: "button", "data-action": "mark-signed", onclick: async () => {
        await saveChanges("agreements", id, { status: "signed" });
        toast(statusText("signed"));
      } }, t("mark_signed")) : null,
      writable && status === "signed" ? h("button", { type: "button", class: "secondary", onclick: async () => {
        await saveChanges("agreements", id, { status: "draft" });
      } }, t("back_to_draft")) : null,
      h("button", { type: "button", class: "secondary", onclick: () => void openPdf(id) }, t("document_pdf"))),
    ["signed", "submitted"].includes(status) ? section(t("judicial_confirmation"), courtSteps(a, ctx.user)) : null);
  return { title: t("agreement"), node, live: true };
}

export function registerAgreementRoutes(): void {
  route("/agreements", listScreen);
  route("/agreements/new", draftScreen);
  route("/agreements/:id", detailScreen);
  route("/agreements/:id/edit", draftScreen);
}
