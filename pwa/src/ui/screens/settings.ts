/** Language, push notifications, storage, logout. */
import { h, toast } from "../dom";
import { t, setLang, lang, enumLabel, errorText } from "../i18n";
import { ApiError, NetworkError } from "../../api/errors";
import { route, type Ctx, type Screen } from "../app";
import { isSubscribed, pushSupported, subscribePush, unsubscribePush } from "../../api/push";
import { logout } from "../../api/auth";
import { pendingCount } from "../../storage/outbox";
import { unitName } from "../directory";
import { dl, field, section } from "../widgets";
import { setPin, validPin } from "../../api/pin";
import { setServerLanguage } from "../../api/notify";
import { notePushFailure, reachSection } from "./reach";

/** The language switch: this app at once, and the server's texts (pushes, SMS) from now on. */
async function switchLanguage(l: "zh" | "en"): Promise<void> {
  setLang(l);
  await setServerLanguage(l).catch(() => undefined); // offline: the next switch tells it
  location.reload();
}

/**
 * The browser's push errors are English developer messages ("Registration failed - push service
 * error"); a person reads what happened and what to do, in the app's language.
 */
export function pushErrorText(e: unknown): string {
  if (e instanceof Error && e.message === "denied") return t("push_denied");
  if (e instanceof NetworkError) return errorText("offline");
  if (e instanceof ApiError) return errorText(e.code, t("push_unavailable"));
  if (e instanceof DOMException && e.name === "NotAllowedError") return t("push_denied");
  if (e instanceof DOMException && e.name === "AbortError") return t("push_unavailable");
  return t("push_failed");
}

/** Shared device: a PIN to lock this person's session and let the next person in. */
function pinSection(userId: string): HTMLElement {
  const input = h("input", { name: "new_pin", type: "password", inputmode: "numeric", autocomplete: "off", class: "pin", "aria-label": t("set_pin") });
  const form: HTMLFormElement = h("form", { class: "stack", novalidate: true, onsubmit: async (ev: Event) => {
    ev.preventDefault();
    if (!validPin(input.value)) {
      showProblemText(form, input, t("pin_format"));
      return;
    }
    await setPin(userId, input.value);
    toast(t("pin_saved"));
    location.reload(); // the header gains "switch user"
  } }, field(t("set_pin"), input), h("button", { type: "submit" }, t("save")));
  return section(t("shared_device"), h("p", { class: "muted" }, t("shared_device_hint")), form);
}

function showProblemText(form: HTMLElement, input: HTMLElement, text: string): void {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  input.setAttribute("aria-invalid", "true");
  input.closest(".field")?.appendChild(h("small", { class: "field-error", role: "alert" }, text));
}

const ADMIN_ROLES = ["community_admin", "street_admin", "district_admin"];

async function settingsScreen(ctx: Ctx): Promise<Screen> {
  const subscribed = await isSubscribed();
  const persisted = (await navigator.storage?.persisted?.()) ?? false;
  const pushButton = pushSupported()
    ? h("button", { type: "button", id: "push-toggle", onclick: async (ev: Event) => {
        (ev.currentTarget as HTMLButtonElement).disabled = true;
        try {
          if (subscribed) await unsubscribePush();
          else await subscribePush();
          notePushFailure(false);
          toast(subscribed ? t("push_off") : t("push_enabled"));
        } catch (e) {
          if (!subscribed) notePushFailure(true);
          toast(pushErrorText(e), "error");
        }
        location.hash = "#/settings";
        window.dispatchEvent(new HashChangeEvent("hashchange"));
      } }, subscribed ? t("push_off") : t("push_on"))
    : h("p", { class: "muted" }, t("push_unsupported"));
  const node = h("div", { class: "stack" },
    section(t("account"), dl([
      [t("username"), ctx.user.username],
      ["", `${ctx.user.display_name} · ${enumLabel("users", "role", ctx.user.role)} · ${unitName(ctx.user.org_unit_id)}`],
      ["", persisted ? t("storage_persisted") : ""],
    ])),
    section(t("language"), h("div", { class: "actions" },
      h("button", { type: "button", class: lang() === "zh" ? "" : "secondary", onclick: () => void switchLanguage("zh") }, "中文"),
      h("button", { type: "button", class: lang() === "en" ? "" : "secondary", onclick: () => void switchLanguage("en") }, "English"))),
    section(t("push"), subscribed ? h("p", null, t("push_enabled")) : null, pushButton),
    await reachSection(),
    ADMIN_ROLES.includes(ctx.user.role) ? h("a", { class: "button secondary", href: "#/admin/reachability" }, t("reach_admin")) : null,
    pinSection(ctx.user.id),
    section(t("logout"), h("button", { type: "button", class: "danger", id: "logout", onclick: async () => {
      const n = await pendingCount();
      if (n > 0 && !confirm(t("logout_unsent", { n }))) return;
      await logout();
      location.hash = "#/";
      location.reload();
    } }, t("logout"))));
  return { title: t("settings"), node };
}

export function registerSettingsRoutes(): void {
  route("/settings", settingsScreen);
}
