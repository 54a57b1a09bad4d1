/**
 * Grid workers and community admins: the community's reports from volunteers (随手拍), newest
 * waiting first. Each is answered once: accepted (a dispute is created from it and linked, in
 * the same offline-capable outbox), merged into a duplicate, or dismissed with a reason the
 * volunteer reads. Points are the server's business: nothing here writes them.
 */
import { h, formValues, toast } from "../dom";
import { t } from "../i18n";
import { formatDateTime } from "../format";
import { navigate, route, type Ctx, type Screen } from "../app";
import { createRecord, saveChanges, viewCollection, viewRecord } from "../../sync/view";
import { photoStrip, formatGeo } from "../editors";
import { dl, emptyState, field, optionSelect, pendingBadge, section, submitHandler, textArea } from "../widgets";
import { reportKind, reportStatus } from "../volunteer-text";
import type { ViewRecord } from "../../types";

function item(r: ViewRecord): HTMLElement {
  const f = r.fields;
  return h("li", null, h("a", { href: `#/reports/${r.id}`, class: "item" },
    h("div", { class: "item-head" }, h("strong", null, String(f["title"] ?? "—")),
      h("span", { class: `badge status status-${String(f["status"])}` }, reportStatus(f["status"]))),
    h("div", { class: "item-meta" }, reportKind(f["kind"]), f["address"] ? ` · ${String(f["address"])}` : "", " ", pendingBadge(r.pending)),
    h("small", null, formatDateTime(f["created_at"]))));
}

async function listScreen(): Promise<Screen> {
  const all = (await viewCollection("reports")).sort((a, b) =>
    Number(a.fields["status"] !== "submitted") - Number(b.fields["status"] !== "submitted") ||
    String(b.fields["created_at"] ?? "").localeCompare(String(a.fields["created_at"] ?? "")));
  return {
    title: t("vol_reports"),
    live: true,
    node: h("ul", { class: "list" }, all.length ? all.map(item) : h("li", null, emptyState())),
  };
}

async function detailScreen(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0] ?? "";
  const r = await viewRecord("reports", id);
  if (!r) return { title: t("vol_reports"), node: emptyState() };
  const f = r.fields;
  const facts = section(reportStatus(f["status"]),
    dl([
      [t("vol_kind"), reportKind(f["kind"])],
      [t("vol_details"), String(f["description"] ?? "—")],
      [t("vol_address"), String(f["address"] ?? "—")],
      [t("location"), formatGeo(f["location"])],
      [t("vol_reason"), String(f["outcome_reason"] ?? "—")],
    ]),
    photoStrip(f["photos"]),
    f["dispute_id"] ? h("a", { href: `#/disputes/${String(f["dispute_id"])}` }, t("linked_dispute")) : null);
  if (f["status"] !== "submitted") return { title: String(f["title"]), live: true, node: h("div", { class: "stack" }, facts) };

  const accept = h("button", { type: "button", onclick: async () => {
    accept.disabled = true;
    const disputeId = await createRecord("disputes", {
      community_id: f["community_id"],
      title: String(f["title"]).slice(0, 200),
      description: f["description"],
      location: f["location"],
      address: f["address"],
      photos: f["photos"],
      channel: "app",
      risk_level: "blue",
      status: "registered",
    });
    await saveChanges("reports", id, { status: "accepted", dispute_id: disputeId, outcome_reason: t("vol_status_accepted") });
    navigate(`/disputes/${disputeId}`);
  } }, t("vol_accept"));

  const others = (await viewCollection("reports")).filter((o) => o.id !== id && o.fields["community_id"] === f["community_id"]);
  const mergeForm: HTMLFormElement = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const v = formValues(mergeForm);
    if (!v["merged_into"]) return;
    await saveChanges("reports", id, { status: "merged", merged_into: v["merged_into"], outcome_reason: t("vol_status_merged") });
    toast(t("vol_answered"));
  }) },
    field(t("vol_merge_into"), optionSelect("merged_into", others.map((o) => ({ id: o.id, name: `${String(o.fields["title"])} · ${formatDateTime(o.fields["created_at"])}` })), "", "—", true)),
    h("button", { type: "submit", class: "secondary" }, t("vol_merge")));

  const dismissForm: HTMLFormElement = h("form", { class: "stack", novalidate: true, onsubmit: submitHandler(async () => {
    const reason = String(formValues(dismissForm)["outcome_reason"] ?? "").trim();
    if (!reason) {
      toast(t("vol_reason_needed"), "error");
      return;
    }
    await saveChanges("reports", id, { status: "dismissed", outcome_reason: reason });
    toast(t("vol_answered"));
  }) },
    field(t("vol_reason_needed"), textArea("outcome_reason", "", { required: true })),
    h("button", { type: "submit", class: "secondary" }, t("vol_dismiss")));

  return {
    title: String(f["title"]),
    node: h("div", { class: "stack" }, facts, section(t("vol_accept"), accept), section(t("vol_merge"), mergeForm), section(t("vol_dismiss"), dismissForm)),
  };
}

export function registerReportRoutes(): void {
  route("/reports", listScreen);
  route("/reports/:id", detailScreen);
}
