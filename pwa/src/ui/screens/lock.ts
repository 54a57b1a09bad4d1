/**
 * The shared tablet's lock screen: the people who set a PIN here, each unlocking their own
 * session; anyone else logs in with their password (online, once). Nobody's records show here.
 */
import { h } from "../dom";
import { enumLabel, t } from "../i18n";
import { MAX_FAILURES, restoreSession, unlock } from "../../api/pin";
import { useDatabaseName } from "../../storage/db";
import { tabletUsers, userDatabaseName, type TabletUser } from "../../storage/tablet";

export async function lockedUsers(): Promise<TabletUser[]> {
  return (await tabletUsers()).filter((u) => u.pin && u.sealed);
}

/** `only`: the unlock screen of that one person (a notification of theirs was tapped). */
export async function lockView(
  onUnlocked: () => void,
  onOtherLogin: () => void,
  only?: { userId: string; notice: string },
): Promise<HTMLElement> {
  const users = (await lockedUsers()).filter((u) => !only || u.user.id === only.userId);
  const panel = h("div", { class: "stack" });
  const pick = (entry: TabletUser) => {
    const error = h("p", { class: "error", role: "alert" });
    const input = h("input", { name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", class: "pin", "aria-label": t("pin") });
    const form: HTMLFormElement = h("form", { class: "card stack", novalidate: true, onsubmit: async (ev: Event) => {
      ev.preventDefault();
      const button = form.querySelector("button[type=submit]") as HTMLButtonElement;
      button.disabled = true;
      const out = await unlock(entry, input.value);
      if (out.result === "ok" && out.auth && out.key) {
        useDatabaseName(userDatabaseName(entry.user.id));
        await restoreSession(out.auth, out.key);
        onUnlocked();
        return;
      }
      button.disabled = false;
      input.value = "";
      if (out.result === "wrong") {
        const fresh = (await tabletUsers()).find((u) => u.user.id === entry.user.id);
        error.textContent = t("pin_wrong", { n: MAX_FAILURES - (fresh?.failures ?? 0) });
        if (fresh) entry = fresh;
      } else {
        error.textContent = t("pin_locked_out");
        form.querySelector("button[type=submit]")?.remove();
      }
    } },
      h("strong", null, entry.user.display_name), h("small", null, enumLabel("users", "role", entry.user.role)),
      h("label", { class: "field" }, h("span", { class: "label" }, t("enter_pin")), input),
      error,
      h("button", { type: "submit" }, t("unlock")),
      h("button", { type: "button", class: "link", onclick: () => draw() }, t("back")));
    panel.replaceChildren(form);
    input.focus();
  };
  const draw = () => {
    panel.replaceChildren(
      h("p", null, t("tablet_pick_user")),
      h("div", { class: "lock-users" }, users.map((u) =>
        h("button", { type: "button", class: "secondary user", "data-user": u.user.username, onclick: () => pick(u) },
          `${u.user.display_name} · ${enumLabel("users", "role", u.user.role)}`))),
      h("button", { type: "button", class: "link", onclick: onOtherLogin }, t("other_user_login")));
  };
  if (only && users[0]) pick(users[0]);
  else draw();
  return h("div", { class: "login-wrap" }, h("div", { class: "card stack" },
    h("div", { class: "brand big" }, h("span", { class: "logo" }, "家"), h("div", null, h("h1", null, t("app")), h("small", null, t("tablet_locked")))),
    only ? h("p", { class: "notice-owner", role: "status" }, only.notice) : null,
    panel));
}
