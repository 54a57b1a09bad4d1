/**
 * The public join page (`#/join?code=…`, from an invite's QR code): redeem a single-use invite
 * code and become a safety volunteer of its community, then log in as usual.
 */
import { h, formValues } from "../dom";
import { t, errorText } from "../i18n";
import { request } from "../../api/client";
import { ApiError, NetworkError } from "../../api/errors";
import "../volunteer-text";

export function joinView(code: string, onJoined: (notice: string) => void, onCancel: () => void): HTMLElement {
  const error = h("p", { class: "error", role: "alert" });
  const button = h("button", { type: "submit" }, t("vol_join"));
  const form: HTMLFormElement = h("form", { class: "login card stack", onsubmit: async (ev: Event) => {
    ev.preventDefault();
    const v = formValues(form);
    button.disabled = true;
    error.textContent = "";
    try {
      await request("/api/volunteers/join", {
        method: "POST",
        auth: false,
        json: {
          code: String(v["code"] ?? "").trim(),
          username: String(v["username"] ?? "").trim(),
          password: String(v["password"] ?? ""),
          display_name: String(v["display_name"] ?? "").trim(),
          show_name: v["show_name"] === true,
        },
      });
      onJoined(t("vol_joined"));
    } catch (e) {
      error.textContent = e instanceof NetworkError ? errorText("offline")
        : e instanceof ApiError ? errorText(e.code, e.message) : String(e);
      button.disabled = false;
    }
  } },
    h("h1", null, t("vol_join")),
    h("label", { class: "field" }, h("span", { class: "label" }, t("vol_join_code")),
      h("input", { name: "code", value: code, required: true, autocapitalize: "characters", autocomplete: "off" })),
    h("label", { class: "field" }, h("span", { class: "label" }, t("vol_display_name")), h("input", { name: "display_name", required: true, maxlength: 200 })),
    h("label", { class: "field" }, h("span", { class: "label" }, t("username")),
      h("input", { name: "username", required: true, autocapitalize: "off", autocomplete: "username", pattern: "[A-Za-z0-9_.\\-]+" })),
    h("label", { class: "field" }, h("span", { class: "label" }, t("password")),
      h("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" })),
    h("label", { class: "row" }, h("input", { type: "checkbox", name: "show_name" }), t("vol_show_name")),
    error,
    button,
    h("button", { type: "button", class: "link", onclick: onCancel }, t("login")));
  return h("div", { class: "login-wrap" }, form);
}
