/**
 * 回访 on a resolved dispute, for the hall: the result of the phone callback, recorded on the
 * dispute's `satisfaction` like any synced edit (offline too).  `unsatisfied` reopens the case
 * and raises a yellow warning on the server (server/public/reactions.py), exactly as a
 * resident's rating on the tracking page does.
 */
import "../../../public/text";
import { h, toast } from "../../dom";
import { t } from "../../i18n";
import { saveChanges } from "../../../sync/view";
import type { Fields } from "../../../types";

const LEVELS: [string, string][] = [
  ["satisfied", "pub_rate_satisfied"],
  ["basically_satisfied", "pub_rate_basic"],
  ["unsatisfied", "pub_rate_unsatisfied"],
];

export function callbackBox(id: string, f: Fields, role: string): HTMLElement | null {
  if (role !== "community_admin" || !["resolved", "closed"].includes(String(f["status"]))) return null;
  const current = f["satisfaction"];
  return h("section", { class: "card stack", "data-testid": "callback" },
    h("h3", null, t("triage_callback")),
    h("div", { class: "row" }, LEVELS.map(([level, label]) =>
      h("button", { type: "button", class: current === level ? "" : "secondary", "data-satisfaction": level, onclick: async () => {
        await saveChanges("disputes", id, { satisfaction: level });
        toast(t("saved"));
      } }, t(label)))));
}
