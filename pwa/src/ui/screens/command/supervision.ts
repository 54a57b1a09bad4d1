/**
 * 督办: dispatch orders past their deadline in the admin's subtree, most overdue first, with
 * "chase" (催办: the department is reminded again) and "escalate" (升级督办: the order goes up to
 * the street, then the district). Online: the list and both actions are the server's.
 */
import { h, toast } from "../../dom";
import { enumLabel, errorText, lang, t } from "../../i18n";
import { countdown, formatDateTime } from "../../format";
import { render, type Ctx, type Screen } from "../../app";
import { unitName } from "../../directory";
import { section } from "../../widgets";
import { getOverdue, superviseOrder, type OverdueOrder } from "../../../command/api";

/** The deadline it missed: arriving while not yet there, else resolving. */
function deadline(o: OverdueOrder): string | null | undefined {
  return ["issued", "acknowledged", "reopened"].includes(o.status) ? o.arrive_by : o.resolve_by;
}

function item(o: OverdueOrder): HTMLElement {
  const act = (action: "chase" | "escalate") => async (ev: Event) => {
    if (action === "escalate" && !confirm(t("sv_confirm_escalate"))) return;
    const button = ev.currentTarget as HTMLButtonElement;
    button.disabled = true;
    try {
      await superviseOrder(o.id, action);
      toast(t(action === "chase" ? "sv_chased" : "sv_escalated"));
      void render();
    } catch (e) {
      button.disabled = false;
      toast(errorText((e as { code?: string }).code, String((e as Error)?.message ?? e)), "error");
    }
  };
  const late = countdown(deadline(o));
  return h("li", { class: "item overdue cmd-overdue", "data-id": o.id },
    h("a", { class: "item-head", href: `#/orders/${o.id}` },
      h("strong", null, String(o.summary ?? "").slice(0, 80) || unitName(o.department_id)),
      h("span", { class: "badge status" }, enumLabel("dispatch_orders", "status", o.status))),
    h("small", null, `${unitName(o.community_id)} → ${unitName(o.department_id)}`),
    h("p", { class: "late" }, late.text),
    h("small", null, [
      o.escalation_level ? `${t("escalation")}${lang() === "zh" ? "：" : ": "}${enumLabel("dispatch_orders", "escalation_level", o.escalation_level)}` : null,
      o.last_chased_at ? t("sv_last_chased", { t: formatDateTime(o.last_chased_at) }) : null,
    ].filter(Boolean).join(" · ")),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "small", "data-action": "chase", onclick: act("chase") }, t("sv_chase")),
      o.next_level === null ? null : h("button", { type: "button", class: "small danger", "data-action": "escalate", onclick: act("escalate") },
        o.next_level ? `${t("sv_escalate")} → ${enumLabel("dispatch_orders", "escalation_level", o.next_level)}` : t("sv_escalate"))));
}

export async function supervisionScreen(ctx: Ctx): Promise<Screen> {
  const orgUnitId = ctx.query.get("org_unit_id") || ctx.user.org_unit_id;
  const { items, count } = await getOverdue(orgUnitId);
  const sorted = [...items].sort((a, b) => String(deadline(a) ?? "").localeCompare(String(deadline(b) ?? "")));
  const node = h("div", { class: "stack cmd-supervision" },
    section(`${t("sv_title")} (${count})`, sorted.length ? h("ul", { class: "list" }, sorted.map(item)) : h("p", { class: "empty" }, t("sv_none"))));
  return { title: t("cmd_supervision"), node };
}
