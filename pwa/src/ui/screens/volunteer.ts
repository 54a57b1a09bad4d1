/**
 * The volunteer's light screens: report a hazard or a lead (随手拍: what, where with GPS, photos;
 * works offline through the outbox like every record), see what became of my reports, my points
 * and awards (online, with the last copy kept for offline use) and the community leaderboard.
 */
import { h, formValues, toast } from "../dom";
import { t } from "../i18n";
import { formatDateTime } from "../format";
import { navigate, route, type Ctx, type Screen } from "../app";
import { createRecord, viewCollection, viewRecord } from "../../sync/view";
import { gpsEditor, photosEditor, photoStrip, formatGeo } from "../editors";
import { buttonLink, dl, emptyState, field, pendingBadge, section, submitHandler, textArea, textInput } from "../widgets";
import { request } from "../../api/client";
import { reportKind, reportStatus, yuan } from "../volunteer-text";
import type { ViewRecord } from "../../types";

interface Step { at: string | null; action: string }
interface MyAward { id: string; amount_fen: number; reason: string; status: string; created_at: string | null; steps: Step[] }
interface Me { points: number; awarded_fen: number; paid_fen: number; show_name: boolean; awards: MyAward[] }
interface BoardRow { rank: number; name: string; points: number; me: boolean }

const ME_CACHE = "doorstep.volunteer.me";

/** My figures from the server, or the copy kept from the last time the phone was online. */
async function loadMe(): Promise<{ me?: Me; stale?: string }> {
  try {
    const me = await request<Me>("/api/volunteers/me");
    localStorage.setItem(ME_CACHE, JSON.stringify({ at: new Date().toISOString(), me }));
    return { me };
  } catch {
    const kept = localStorage.getItem(ME_CACHE);
    if (!kept) return {};
    const { at, me } = JSON.parse(kept) as { at: string; me: Me };
    return { me, stale: at };
  }
}

function reportItem(r: ViewRecord): HTMLElement {
  const f = r.fields;
  return h("li", null, h("a", { href: `#/volunteer/reports/${r.id}`, class: "item" },
    h("div", { class: "item-head" }, h("strong", null, String(f["title"] ?? "—")),
      h("span", { class: `badge status status-${String(f["status"] ?? "submitted")}` }, reportStatus(f["status"]))),
    h("div", { class: "item-meta" }, reportKind(f["kind"]), f["address"] ? ` · ${String(f["address"])}` : "",
      typeof f["points"] === "number" ? ` · +${f["points"]} ${t("vol_points")}` : "", " ", pendingBadge(r.pending)),
    h("small", null, f["created_at"] ? formatDateTime(f["created_at"]) : r.localCreatedAt ? formatDateTime(r.localCreatedAt) : "")));
}

async function myReportsScreen(ctx: Ctx): Promise<Screen> {
  const mine = (await viewCollection("reports"))
    .filter((r) => !r.fields["created_by"] || r.fields["created_by"] === ctx.user.id)
    .sort((a, b) => String(b.fields["created_at"] ?? "9").localeCompare(String(a.fields["created_at"] ?? "9")));
  const list = h("ul", { class: "list" }, mine.length ? mine.map(reportItem) : h("li", null, emptyState()));
  return {
    title: t("vol_my_reports"),
    live: true,
    node: h("div", { class: "stack" },
      h("div", { class: "row" }, buttonLink("/volunteer/new", `+ ${t("vol_new_report")}`), buttonLink("/volunteer/me", t("vol_points_awards"), "button secondary")),
      list),
  };
}

async function newReportScreen(ctx: Ctx): Promise<Screen> {
  const photos = photosEditor([]);
  const gps = gpsEditor(undefined);
  const kind = h("select", { name: "kind" },
    h("option", { value: "hazard" }, t("vol_kind_hazard")), h("option", { value: "lead" }, t("vol_kind_lead")));
  const form: HTMLFormElement = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(form);
    const id = await createRecord("reports", {
      community_id: ctx.user.org_unit_id,
      kind: v["kind"],
      title: String(v["title"] ?? "").trim(),
      description: String(v["description"] ?? "").trim() || undefined,
      address: String(v["address"] ?? "").trim() || undefined,
      location: gps.value(),
      photos: photos.value(),
      status: "submitted",
    });
    toast(t("vol_saved_offline"));
    navigate(`/volunteer/reports/${id}`);
  }) },
    field(t("vol_kind"), kind),
    field(t("vol_what"), textInput("title", "", { required: true, maxlength: 200 })),
    field(t("vol_details"), textArea("description", "")),
    field(t("vol_address"), textInput("address", "", { maxlength: 200 })),
    gps.node,
    photos.node,
    h("button", { type: "submit" }, t("vol_new_report")));
  return { title: t("vol_new_report"), node: form };
}

async function reportScreen(ctx: Ctx): Promise<Screen> {
  const r = await viewRecord("reports", ctx.params[0] ?? "");
  if (!r) return { title: t("vol_reports"), node: emptyState() };
  const f = r.fields;
  return {
    title: String(f["title"] ?? t("vol_reports")),
    live: true,
    node: h("div", { class: "stack" }, section(reportStatus(f["status"]),
      dl([
        [t("vol_kind"), reportKind(f["kind"])],
        [t("vol_details"), String(f["description"] ?? "—")],
        [t("vol_address"), String(f["address"] ?? "—")],
        [t("location"), formatGeo(f["location"])],
        [t("vol_reason"), String(f["outcome_reason"] ?? "—")],
        [t("vol_points"), typeof f["points"] === "number" ? `+${f["points"]}` : "—"],
      ]),
      photoStrip(f["photos"]), pendingBadge(r.pending))),
  };
}

async function meScreen(): Promise<Screen> {
  const [{ me, stale }, board] = await Promise.all([
    loadMe(),
    request<BoardRow[]>("/api/volunteers/leaderboard").catch(() => [] as BoardRow[]),
  ]);
  if (!me) return { title: t("vol_points_awards"), node: h("p", { class: "empty" }, t("offline")) };
  const toggle = h("input", { type: "checkbox", checked: me.show_name, onchange: async () => {
    try {
      await request("/api/volunteers/me/preferences", { method: "PUT", json: { show_name: toggle.checked } });
    } catch (e) {
      toggle.checked = !toggle.checked;
      toast(String(e), "error");
    }
  } });
  const awards = me.awards.length
    ? h("ul", { class: "list" }, me.awards.map((a) => h("li", { class: "item" },
        h("div", { class: "item-head" }, h("strong", null, yuan(a.amount_fen)), h("span", { class: "badge" }, t(`vol_step_${a.status === "awarded" ? "award" : a.status === "batched" ? "batch_proposed" : a.status === "reversed" ? "reverse" : "paid"}`))),
        h("div", { class: "item-meta" }, a.reason),
        h("ol", { class: "steps" }, a.steps.map((s) => h("li", null, `${formatDateTime(s.at)} ${t(`vol_step_${s.action}`)}`))))))
    : h("p", { class: "empty" }, t("vol_no_awards"));
  return {
    title: t("vol_points_awards"),
    node: h("div", { class: "stack" },
      stale ? h("p", { class: "offline" }, t("vol_offline_copy", { t: formatDateTime(stale) })) : null,
      section(t("vol_total_points"), h("p", { class: "big-number" }, String(me.points)),
        dl([[t("vol_awarded"), yuan(me.awarded_fen)], [t("vol_paid"), yuan(me.paid_fen)]])),
      section(t("vol_awards"), awards),
      section(t("vol_leaderboard"),
        h("label", null, toggle, " ", t("vol_show_name")),
        h("ol", { class: "list leaderboard" }, board.map((b) => h("li", { class: b.me ? "me" : "" }, `${b.rank}. ${b.name} · ${b.points}`))))),
  };
}

export function registerVolunteerRoutes(): void {
  route("/volunteer/reports", myReportsScreen);
  route("/volunteer/new", newReportScreen);
  route("/volunteer/me", meScreen);
  route("/volunteer/reports/:id", reportScreen);
}
