/** Login (needs the network once); afterwards the app resumes from IndexedDB without it. */
import { h, formValues } from "../dom";
import { t, errorText, lang, setLang } from "../i18n";
import { currentSession, hasPin, login } from "../../api/auth";
import { pendingCount } from "../../storage/outbox";
import { ApiError, NetworkError } from "../../api/errors";
import type { User } from "../../types";

export function loginView(onLoggedIn: (u: User) => void, notice?: string): HTMLElement {
  const error = h("p", { class: "error", role: "alert" }, notice ?? "");
  const button = h("button", { type: "submit" }, t("login"));
  const form: HTMLFormElement = h("form", { class: "login card stack", onsubmit: async (ev: Event) => {
    ev.preventDefault();
    const v = formValues(form);
    const username = String(v["username"] ?? "").trim();
    const prev = await currentSession();
    const unsent = prev ? await pendingCount() : 0;
    // With a PIN the previous person's work is sealed and kept for them; without one it goes.
    const kept = prev ? await hasPin(prev.user.id) : false;
    if (prev && !kept && unsent > 0 && prev.user.username !== username && !confirm(t("other_user_unsent", { n: unsent, who: prev.user.display_name }))) return;
    button.disabled = true;
    button.textContent = t("logging_in");
    error.textContent = "";
    try {
      onLoggedIn(await login(username, String(v["password"] ?? "")));
    } catch (e) {
      error.textContent = e instanceof NetworkError ? `${errorText("offline")} · ${t("login_needs_network")}`
        : e instanceof ApiError ? errorText(e.code, e.message) : String(e);
      button.disabled = false;
      button.textContent = t("login");
    }
  } },
    h("div", { class: "brand big" }, h("span", { class: "logo" }, "家"), h("div", null, h("h1", null, t("app")), h("small", null, t("tagline")))),
    h("label", { class: "field" }, h("span", { class: "label" }, t("username")),
      h("input", { name: "username", autocomplete: "username", autocapitalize: "off", required: true, autofocus: true })),
    h("label", { class: "field" }, h("span", { class: "label" }, t("password")),
      h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    error,
    button,
    h("button", { type: "button", class: "link", onclick: () => { setLang(lang() === "zh" ? "en" : "zh"); location.reload(); } }, lang() === "zh" ? "English" : "中文"));
  return h("div", { class: "login-wrap" }, form);
}
