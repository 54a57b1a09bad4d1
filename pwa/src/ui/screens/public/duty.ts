/** 领导接访: who receives residents where and when; a resident asks for a place. */
import { h, toast } from "../../dom";
import { t } from "../../i18n";
import { formatDateTime } from "../../format";
import { askSlot, dutyRoster, type Shift } from "../../../public/api";
import { card, problem } from "./common";

function shiftItem(s: Shift): HTMLElement {
  const form = h("form", { class: "stack", hidden: true },
    h("label", { class: "field" }, h("span", null, t("pub_topic")), h("input", { name: "topic", required: true, minlength: 2, maxlength: 200 })),
    h("label", { class: "field" }, h("span", null, t("pub_phone")), h("input", { name: "contact_phone", type: "tel", required: true, pattern: "\\+?[0-9][0-9 -]{4,19}" })),
    h("button", { type: "submit" }, t("pub_ask"))) as HTMLFormElement;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    try {
      await askSlot(s.id, String(data.get("topic")).trim(), String(data.get("contact_phone")).trim());
      toast(t("pub_asked"));
      form.hidden = true;
    } catch (e) {
      toast(problem(e), "error");
    }
  });
  return h("li", { class: "item" },
    h("div", { class: "item-head" }, h("strong", null, `${s.leader_title} ${s.leader_name}`), h("span", { class: "badge" }, t("pub_slots", { n: s.slots_left }))),
    h("small", null, t("pub_duty_at", { when: `${formatDateTime(s.starts_at)}–${formatDateTime(s.ends_at).slice(-5)}`, place: s.place })),
    s.slots_left > 0 ? h("button", { type: "button", class: "secondary small", onclick: () => (form.hidden = !form.hidden) }, t("pub_ask")) : null,
    form);
}

export async function dutyScreen(): Promise<Node> {
  try {
    const roster = await dutyRoster();
    return card(roster.length ? h("ul", { class: "list" }, roster.map(shiftItem)) : h("p", { class: "empty" }, t("pub_no_duty")));
  } catch (e) {
    return card(h("p", { class: "error" }, problem(e)));
  }
}
