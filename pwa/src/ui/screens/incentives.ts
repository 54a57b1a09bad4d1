/**
 * The admins' side of the incentive fund (issue 16). Community admins make invite codes, see
 * the fund, award a volunteer for a report and propose a payout batch; street admins approve a
 * batch (never their own: the server refuses and we show its words), download the finance
 * office's sheet and mark it paid. Money is moved by the server only, so every action here is
 * online-only and says so plainly when the phone has no network.
 */
import { h, formValues, toast } from "../dom";
import { t } from "../i18n";
import { formatDateTime } from "../format";
import { navigate, render, route, type Ctx, type Screen } from "../app";
import { viewCollection } from "../../sync/view";
import { listRecords } from "../../storage/records";
import { communityOf, userName } from "../directory";
import { buttonLink, dl, field, section, submitHandler, textInput } from "../widgets";
import { request, requestBlob } from "../../api/client";
import { ApiError, NetworkError } from "../../api/errors";
import { yuan } from "../volunteer-text";
import "../incentives-text";
import type { User } from "../../types";

interface Fund { org_unit_id: string; year: number; budget: number; awarded: number; paid: number; balance: number }
interface Invite { code: string; join_url: string; expires_at: string | null }
interface Award { id: string; volunteer_id: string; amount_fen: number; reason: string; status: string; created_at: string | null }
interface Batch {
  id: string; org_unit_id: string; status: string; total_fen: number; award_count: number;
  proposed_by: string; proposed_at: string | null; approved_at: string | null; exported_at: string | null; paid_at: string | null;
}

const COMMUNITY_ROLES = new Set(["community_admin"]);
const APPROVER_ROLES = new Set(["street_admin", "district_admin"]);

function offline(): boolean {
  return typeof navigator !== "undefined" && navigator.onLine === false;
}

/** The words to show for a failed call: "needs a network" offline, else the server's message. */
function problem(e: unknown): string {
  if (e instanceof NetworkError || offline()) return t("inc_online_only");
  if (e instanceof ApiError) return e.message;
  return String(e);
}

function onlineOnlyNote(): HTMLElement | null {
  return offline() ? h("p", { class: "offline error", role: "alert" }, t("inc_online_only")) : null;
}

/** A form's message line, replaced on each attempt. */
function messageLine(): { node: HTMLElement; say: (text: string, error?: boolean) => void } {
  const node = h("p", { class: "inc-message", role: "status" });
  return { node, say: (text, error = false) => { node.textContent = text; node.className = `inc-message ${error ? "error" : "ok"}`; } };
}

/** "12.5" or "12.50" yuan → 1250 fen, by string arithmetic (no float rounding); null if bad. */
export function fenFromYuan(text: string): number | null {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  return fen > 0 ? fen : null;
}

/** The fund an award in the user's area draws from: the nearest unit upward that has one. */
async function loadFund(user: User): Promise<Fund> {
  const units = new Map((await listRecords("org_units")).map((r) => [r.id, r.fields]));
  const chain: string[] = [];
  let id: unknown = user.role === "community_admin" ? communityOf(user) : user.org_unit_id;
  for (let i = 0; i < 8 && typeof id === "string" && !chain.includes(id); i++) {
    chain.push(id);
    id = units.get(id)?.["parent_id"];
  }
  let first: Fund | undefined;
  for (const unit of chain) {
    try {
      const f = await request<Fund>(`/api/incentives/fund?org_unit_id=${encodeURIComponent(unit)}`);
      first ??= f;
      if (f.budget || f.awarded || f.paid) return f;
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) break; // above the caller's reach
      throw e;
    }
  }
  if (!first) throw new ApiError(404, "not_found", "no fund");
  return first;
}

function fundSection(f: Fund, unitName: string): HTMLElement {
  const figure = (key: string, fen: number) => h("span", { class: `fund-${key}`, "data-fen": String(fen) }, yuan(fen));
  return section(`${t("inc_fund")} · ${t("inc_fund_of", { unit: unitName, year: f.year })}`,
    h("p", { class: "big-number fund-balance-big" }, yuan(f.balance)),
    dl([
      [t("inc_budget"), figure("budget", f.budget)],
      [t("inc_awarded"), figure("awarded", f.awarded)],
      [t("inc_paid"), figure("paid", f.paid)],
      [t("inc_balance"), figure("balance", f.balance)],
    ]));
}

async function hubScreen(ctx: Ctx): Promise<Screen> {
  const links = COMMUNITY_ROLES.has(ctx.user.role)
    ? h("div", { class: "row wrap" },
        buttonLink("/incentives/invite", t("inc_invite")),
        buttonLink("/incentives/award", t("inc_award"), "button secondary"),
        buttonLink("/incentives/propose", t("inc_propose"), "button secondary"),
        buttonLink("/incentives/batches", t("inc_batches"), "button secondary"))
    : h("div", { class: "row" }, buttonLink("/incentives/batches", t("inc_batches")));
  let body: HTMLElement;
  try {
    const f = await loadFund(ctx.user);
    const units = new Map((await listRecords("org_units")).map((r) => [r.id, r.fields]));
    body = fundSection(f, String(units.get(f.org_unit_id)?.["name"] ?? ""));
  } catch (e) {
    body = h("p", { class: "error", role: "alert" }, problem(e));
  }
  return { title: t("inc_fund"), node: h("div", { class: "stack" }, onlineOnlyNote(), body, links) };
}

async function inviteScreen(ctx: Ctx): Promise<Screen> {
  const msg = messageLine();
  const shown = h("div", { class: "stack invite-made" });
  let busy = false;
  const button = h("button", { type: "button", onclick: async () => {
    if (busy) return;
    if (offline()) return msg.say(t("inc_online_only"), true);
    busy = true;
    button.disabled = true;
    try {
      const made = await request<Invite>("/api/volunteers/invites", { method: "POST", json: { community_id: communityOf(ctx.user) } });
      // Shown once: the server never returns the code again, so it is not kept anywhere here.
      shown.replaceChildren(
        h("p", { class: "notice" }, t("inc_invite_made")),
        dl([
          [t("inc_invite_code"), h("strong", { class: "invite-code" }, made.code)],
          [t("inc_join_link"), h("a", { class: "join-link", href: made.join_url }, made.join_url)],
        ]),
        h("small", null, made.expires_at ? formatDateTime(made.expires_at) : ""));
      msg.say("");
    } catch (e) {
      msg.say(problem(e), true);
    } finally {
      busy = false;
      button.disabled = false;
    }
  } }, t("inc_invite"));
  return { title: t("inc_invite"), node: h("div", { class: "stack" }, onlineOnlyNote(), button, msg.node, shown) };
}

async function awardScreen(): Promise<Screen> {
  const reports = (await viewCollection("reports"))
    .filter((r) => typeof r.fields["created_by"] === "string" && !r.pending)
    .sort((a, b) => String(b.fields["created_at"] ?? "").localeCompare(String(a.fields["created_at"] ?? "")));
  if (!reports.length) return { title: t("inc_award"), node: h("p", { class: "empty" }, t("inc_no_reports")) };
  // One key per form: a double tap or a retry after a lost answer pays once.
  const key = crypto.randomUUID();
  const msg = messageLine();
  let busy = false;
  const form: HTMLFormElement = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    if (busy) return;
    const v = formValues(form);
    const fen = fenFromYuan(String(v["amount"] ?? ""));
    if (fen === null) return msg.say(t("inc_amount_bad"), true);
    const report = reports.find((r) => r.id === v["report"]);
    if (!report) return;
    if (offline()) return msg.say(t("inc_online_only"), true);
    busy = true;
    try {
      const award = await request<Award>("/api/incentives/awards", {
        method: "POST",
        headers: { "Idempotency-Key": key },
        json: {
          volunteer_id: report.fields["created_by"],
          amount_fen: fen,
          reason: String(v["reason"] ?? "").trim(),
          source_collection: "reports",
          source_id: report.id,
        },
      });
      toast(t("inc_award_done", { amount: yuan(award.amount_fen) }));
      navigate("/incentives");
    } catch (e) {
      msg.say(problem(e), true);
    } finally {
      busy = false;
    }
  }) },
    onlineOnlyNote(),
    field(t("inc_award_report"), h("select", { name: "report", required: true },
      reports.map((r) => h("option", { value: r.id },
        `${String(r.fields["title"] ?? "—")} · ${userName(r.fields["created_by"])} · ${formatDateTime(r.fields["created_at"])}`)))),
    field(t("inc_amount_yuan"), textInput("amount", "", { required: true, inputmode: "decimal", autocomplete: "off" })),
    field(t("inc_reason"), textInput("reason", "", { required: true, maxlength: 500 })),
    msg.node,
    h("button", { type: "submit" }, t("inc_award")));
  return { title: t("inc_award"), node: form };
}

async function proposeScreen(ctx: Ctx): Promise<Screen> {
  const community = communityOf(ctx.user);
  let awards: Award[];
  try {
    awards = await request<Award[]>(`/api/incentives/awards?org_unit_id=${encodeURIComponent(community)}&status=awarded`);
  } catch (e) {
    return { title: t("inc_propose"), node: h("p", { class: "error", role: "alert" }, problem(e)) };
  }
  if (!awards.length) return { title: t("inc_propose"), node: h("p", { class: "empty" }, t("inc_no_awards")) };
  const msg = messageLine();
  let busy = false;
  const form: HTMLFormElement = h("form", { class: "stack", onsubmit: submitHandler(async () => {
    if (busy) return;
    const ids = [...form.querySelectorAll<HTMLInputElement>("input[name=award]:checked")].map((i) => i.value);
    if (!ids.length) return;
    if (offline()) return msg.say(t("inc_online_only"), true);
    busy = true;
    try {
      await request<Batch>("/api/incentives/batches", { method: "POST", json: { org_unit_id: community, award_ids: ids } });
      toast(t("inc_proposed"));
      navigate("/incentives/batches");
    } catch (e) {
      msg.say(problem(e), true);
    } finally {
      busy = false;
    }
  }) },
    onlineOnlyNote(),
    h("ul", { class: "list" }, awards.map((a) => h("li", { class: "item" }, h("label", null,
      h("input", { type: "checkbox", name: "award", value: a.id, checked: true }), " ",
      h("strong", null, yuan(a.amount_fen)), ` · ${userName(a.volunteer_id)} · ${a.reason}`)))),
    msg.node,
    h("button", { type: "submit" }, t("inc_propose")));
  return { title: t("inc_propose"), node: form };
}

/** Saves the finance office's sheet: the browser's own download of a Blob. */
async function download(batch: Batch): Promise<void> {
  const blob = await requestBlob(`/api/incentives/batches/${batch.id}/export.xlsx`);
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: `payout-${batch.id}.xlsx` });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function batchItem(b: Batch, canApprove: boolean): HTMLElement {
  const msg = messageLine();
  const act = (label: string, run: () => Promise<unknown>, cls = "") => {
    let busy = false;
    return h("button", { type: "button", class: cls, onclick: async () => {
      if (busy) return;
      if (offline()) return msg.say(t("inc_online_only"), true);
      busy = true;
      try {
        await run();
        await render(); // the same screen again, with the batch's new state
      } catch (e) {
        msg.say(problem(e), true);
      } finally {
        busy = false;
      }
    } }, label);
  };
  const actions: HTMLElement[] = [];
  if (canApprove && b.status === "proposed") {
    actions.push(act(t("inc_approve"), () => request(`/api/incentives/batches/${b.id}/approve`, { method: "POST" }), "approve"));
  }
  if (b.status === "approved" || b.status === "paid") actions.push(act(t("inc_download"), () => download(b), "secondary download"));
  if (canApprove && b.status === "approved" && b.exported_at) {
    actions.push(act(t("inc_mark_paid"), () => request(`/api/incentives/batches/${b.id}/paid`, { method: "POST" }), "mark-paid"));
  }
  return h("li", { class: "item batch", "data-id": b.id },
    h("div", { class: "item-head" }, h("strong", null, yuan(b.total_fen)),
      h("span", { class: `badge status status-${b.status}` }, t(`inc_batch_status_${b.status}`))),
    h("div", { class: "item-meta" }, `${t("inc_awards_n", { n: b.award_count })} · ${userName(b.proposed_by)} · ${formatDateTime(b.proposed_at)}`),
    h("div", { class: "row wrap" }, actions), msg.node);
}

async function batchesScreen(ctx: Ctx): Promise<Screen> {
  const unit = COMMUNITY_ROLES.has(ctx.user.role) ? communityOf(ctx.user) : ctx.user.org_unit_id;
  let batches: Batch[];
  try {
    batches = await request<Batch[]>(`/api/incentives/batches?org_unit_id=${encodeURIComponent(unit)}`);
  } catch (e) {
    return { title: t("inc_batches"), node: h("p", { class: "error", role: "alert" }, problem(e)) };
  }
  const canApprove = APPROVER_ROLES.has(ctx.user.role);
  return {
    title: t("inc_batches"),
    node: h("div", { class: "stack" }, onlineOnlyNote(),
      batches.length ? h("ul", { class: "list" }, batches.map((b) => batchItem(b, canApprove))) : h("p", { class: "empty" }, t("inc_no_batches"))),
  };
}

export function registerIncentiveRoutes(): void {
  route("/incentives", hubScreen);
  route("/incentives/invite", inviteScreen);
  route("/incentives/award", awardScreen);
  route("/incentives/propose", proposeScreen);
  route("/incentives/batches", batchesScreen);
}
