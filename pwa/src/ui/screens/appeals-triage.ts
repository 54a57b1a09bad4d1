/**
 * 群众诉求分拣 (hall staff): public appeals of the caller's communities waiting for triage.
 * Accept one as a dispute (grid + service type), merge a duplicate into an existing dispute of
 * the same community, or reject it as spam with a reason the resident reads.  Online: the
 * decision is the server's (one hall member wins, a second gets "already triaged").  The phone
 * callback (回访) is recorded on the dispute itself (its satisfaction field), like any edit.
 */
import "../../public/text";
import { h, toast } from "../dom";
import { enumLabel, t } from "../i18n";
import { formatDateTime } from "../format";
import { request } from "../../api/client";
import { route, type Ctx, type Screen } from "../app";
import { gridsOf, loadDirectory, unitName } from "../directory";
import { viewCollection } from "../../sync/view";
import { optionSelect } from "../widgets";
import { SERVICES, serviceName, problem } from "./public/common";

interface TriageItem {
  appeal_id: string; dispute_id: string; community_id: string; channel: string; service_type: string;
  title: string; description: string; has_phone: boolean; photos: string[]; received_at: string; triage: string;
}

async function act(id: string, action: string, body: unknown, after: () => void): Promise<void> {
  try {
    await request(`/api/triage/appeals/${id}/${action}`, { method: "POST", json: body });
    toast(t("triage_done"));
    after();
  } catch (e) {
    toast(problem(e), "error");
  }
}

async function itemView(item: TriageItem, refresh: () => void): Promise<HTMLElement> {
  const disputes = (await viewCollection("disputes"))
    .filter((d) => d.fields["community_id"] === item.community_id && d.id !== item.dispute_id)
    .map((d) => ({ id: d.id, name: String(d.fields["title"] ?? d.id) }));
  const grid = optionSelect("grid_id", gridsOf(item.community_id), undefined, t("triage_grid"), true);
  const service = h("select", { name: "service_type" }, SERVICES.map((s) => h("option", { value: s, selected: s === item.service_type }, serviceName(s))));
  const target = optionSelect("dispute_id", disputes, undefined, t("triage_merge_into"), true);
  const reason = h("input", { name: "reason", minlength: 2, maxlength: 200, placeholder: t("triage_reason") }) as HTMLInputElement;
  return h("li", { class: "item", "data-appeal": item.appeal_id },
    h("div", { class: "item-head" }, h("strong", null, item.title), h("small", null, `${serviceName(item.service_type)} · ${formatDateTime(item.received_at)}`)),
    h("small", null, `${unitName(item.community_id)} · ${enumLabel("disputes", "channel", item.channel)}${item.has_phone ? ` · ${t("triage_has_phone")}` : ""}`),
    item.description ? h("p", null, item.description) : null,
    h("div", { class: "row" }, grid, service,
      h("button", { type: "button", "data-action": "accept", onclick: () => grid.value
        ? void act(item.appeal_id, "accept", { grid_id: grid.value, service_type: service.value }, refresh)
        : grid.reportValidity() }, t("triage_accept"))),
    h("div", { class: "row" }, target,
      h("button", { type: "button", class: "secondary", "data-action": "merge", onclick: () => target.value
        ? void act(item.appeal_id, "merge", { dispute_id: target.value }, refresh)
        : target.reportValidity() }, t("triage_merge"))),
    h("div", { class: "row" }, reason,
      h("button", { type: "button", class: "secondary", "data-action": "reject", onclick: () => reason.value.trim().length >= 2
        ? void act(item.appeal_id, "reject", { reason: reason.value.trim() }, refresh)
        : reason.reportValidity() }, t("triage_reject"))),
  );
}

async function triageScreen(_ctx: Ctx): Promise<Screen> {
  const node = h("div", { class: "stack" });
  const load = async () => {
    try {
      await loadDirectory(); // the grid pickers: the first pull may have landed a moment ago
      const items = await request<TriageItem[]>("/api/triage/appeals?triage=pending");
      node.replaceChildren(items.length
        ? h("ul", { class: "list", "data-testid": "appeal-triage" }, await Promise.all(items.map((i) => itemView(i, () => void load()))))
        : h("p", { class: "empty" }, t("triage_empty")));
    } catch (e) {
      node.replaceChildren(h("p", { class: "error" }, problem(e)));
    }
  };
  await load();
  return { title: t("appeals_triage"), node };
}

export function registerAppealTriageRoutes(): void {
  route("/appeals", triageScreen);
}
