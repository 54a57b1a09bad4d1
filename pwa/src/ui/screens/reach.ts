/**
 * Can this phone be reached? The settings screen says whether notifications can arrive here and
 * what to do when not (issue 14): the Push API missing (WeChat's in-app browser, many domestic
 * browsers), permission denied, iOS outside the home screen, or a subscription that failed. Red
 * warnings and orders then come by SMS to the work phone an admin set, which its owner confirms
 * here. Admins get a list of who is reachable by which channel (`#/admin/reachability`).
 */
import { h, toast } from "../dom";
import { addText, errorText, t, enumLabel } from "../i18n";
import { ApiError } from "../../api/errors";
import { route, type Ctx, type Screen } from "../app";
import { pushSupported, isSubscribed } from "../../api/push";
import { confirmPhone, myContact, openCode, reachability, setPhone, type Contact, type ReachRow } from "../../api/notify";
import { formatDateTime } from "../format";
import { unitName } from "../directory";
import { emptyState, field, section } from "../widgets";

addText({
  reach_title: ["能否收到通知", "Can this phone get notifications?"],
  reach_ok: ["本机可以收到推送通知。", "This phone can receive push notifications."],
  reach_no_push_api: [
    "此浏览器不支持推送通知（例如微信内置浏览器和部分国产手机浏览器）。请在系统浏览器或 Chrome 中打开本应用并添加到主屏幕。在此之前，红色预警和派单会以短信发到您登记的工作手机。",
    "This browser cannot receive push notifications (for example WeChat's in-app browser and some phone makers' browsers). Open the app in the system browser or Chrome and add it to the home screen. Until then, red warnings and orders come by SMS to your registered work phone.",
  ],
  reach_denied: [
    "通知权限已被拒绝。请在浏览器的网站设置中允许本应用发送通知，然后回到这里开启推送。红色预警和派单会以短信补发。",
    "Notifications are blocked. Allow notifications for this app in the browser's site settings, then turn push on here. Red warnings and orders are also sent by SMS.",
  ],
  reach_ios: [
    "在 iPhone 上，只有添加到主屏幕的应用才能收到推送。请点 Safari 的“分享”→“添加到主屏幕”，再从主屏幕打开本应用并开启推送。",
    "On an iPhone, only an app added to the home screen gets push notifications. Tap Share → Add to Home Screen in Safari, open the app from the home screen and turn push on.",
  ],
  reach_not_subscribed: ["推送尚未开启：请点下方“开启推送通知”。", "Push is not on yet: tap “Turn on push notifications” below."],
  reach_failed: [
    "推送订阅失败（可能是推送服务在本网络不可达）。请稍后重试；在此之前，红色预警和派单会以短信发到您的工作手机。",
    "Subscribing for push failed (the push service may be unreachable from this network). Try again later; until then red warnings and orders come by SMS to your work phone.",
  ],
  reach_sms: ["短信（工作手机）", "SMS (work phone)"],
  reach_sms_none: ["尚未登记工作手机：推送收不到时将无法以短信提醒您。请联系管理员登记。", "No work phone on file: if push fails you cannot be reached by SMS. Ask your admin to add it."],
  reach_sms_unconfirmed: ["管理员登记的号码 {phone}，请输入完整号码确认是您的。", "Your admin registered {phone}: type the full number to confirm it is yours."],
  reach_sms_confirmed: ["紧急通知将以短信发到 {phone}（已确认）。", "Urgent notices go by SMS to {phone} (confirmed)."],
  reach_confirm: ["确认号码", "Confirm number"],
  reach_admin: ["通知可达情况", "Who can be reached"],
  reach_admin_hint: ["红色预警和派单：推送为先，无人确认时改发短信。下列人员任何渠道都不可达时标红。", "Red warnings and orders go by push first and by SMS when nobody acknowledges. People no channel reaches are marked red."],
  reach_push_col: ["推送", "Push"],
  reach_sms_col: ["短信", "SMS"],
  reach_state_ok: ["可用", "works"],
  reach_state_untested: ["未验证", "untested"],
  reach_state_failed: ["失败", "failed"],
  reach_state_none: ["无", "none"],
  reach_unreachable: ["不可达", "unreachable"],
  reach_set_phone: ["登记手机", "Set phone"],
  reach_phone_prompt: ["工作手机号（留空则删除）", "Work phone (empty to remove)"],
  reach_last_push: ["最近推送成功", "last push delivered"],
  reach_last_sms: ["最近短信回执", "last SMS receipt"],
  reach_code: ["短信查看码", "SMS code"],
  reach_code_unknown: ["查看码无效或不是发给您的", "This code is unknown or was not sent to you"],
});

export type PushReach = "ok" | "no_push_api" | "denied" | "ios_not_installed" | "not_subscribed" | "subscribe_failed";

const FAILED_KEY = "doorstep.push.failed";

/** Remember that subscribing failed on this phone (the settings screen says so until it works). */
export function notePushFailure(failed: boolean): void {
  try {
    if (failed) localStorage.setItem(FAILED_KEY, String(Date.now()));
    else localStorage.removeItem(FAILED_KEY);
  } catch {
    /* private mode */
  }
}

function isIos(): boolean {
  const ua = navigator.userAgent;
  return /iPad|iPhone|iPod/.test(ua) || (ua.includes("Macintosh") && navigator.maxTouchPoints > 1);
}

function standalone(): boolean {
  return window.matchMedia?.("(display-mode: standalone)").matches || (navigator as { standalone?: boolean }).standalone === true;
}

export async function pushReachability(): Promise<PushReach> {
  // iOS Safari outside the home screen has no PushManager either: say the useful thing first.
  if (isIos() && !standalone()) return "ios_not_installed";
  if (!pushSupported()) return "no_push_api";
  if (Notification.permission === "denied") return "denied";
  if (await isSubscribed().catch(() => false)) return "ok";
  try {
    if (localStorage.getItem(FAILED_KEY)) return "subscribe_failed";
  } catch {
    /* private mode */
  }
  return "not_subscribed";
}

const REACH_TEXT: Record<PushReach, string> = {
  ok: "reach_ok", no_push_api: "reach_no_push_api", denied: "reach_denied", ios_not_installed: "reach_ios",
  not_subscribed: "reach_not_subscribed", subscribe_failed: "reach_failed",
};

function smsPart(contact: Contact | null): HTMLElement {
  if (!contact) return h("p", { class: "muted" }, errorText("offline"));
  if (!contact.phone) return h("p", { id: "sms-reach", class: "warn" }, t("reach_sms_none"));
  if (contact.phone_confirmed) return h("p", { id: "sms-reach" }, t("reach_sms_confirmed", { phone: contact.phone }));
  const input = h("input", { name: "confirm_phone", type: "tel", inputmode: "tel", autocomplete: "tel" });
  const form: HTMLFormElement = h("form", { class: "stack", onsubmit: async (ev: Event) => {
    ev.preventDefault();
    try {
      await confirmPhone(input.value);
      toast(t("saved"));
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (e) {
      toast(e instanceof ApiError ? errorText(e.code, e.message) : errorText("offline"), "error");
    }
  } }, field(t("reach_sms_unconfirmed", { phone: contact.phone }), input), h("button", { type: "submit" }, t("reach_confirm")));
  return h("div", { id: "sms-reach" }, form);
}

/** The settings screen's section: push on this phone, and SMS to the work phone. */
export async function reachSection(): Promise<HTMLElement> {
  const state = await pushReachability();
  const contact = await myContact().catch(() => null);
  return section(t("reach_title"),
    h("p", { id: "push-reach", class: state === "ok" ? "ok" : "warn", "data-state": state }, t(REACH_TEXT[state])),
    h("h3", null, t("reach_sms")), smsPart(contact));
}

function stateLabel(s: string): string {
  return t(`reach_state_${s}`);
}

function row(r: ReachRow): HTMLElement {
  const set = h("button", { type: "button", class: "small secondary", onclick: async () => {
    const value = prompt(t("reach_phone_prompt"), "");
    if (value === null) return;
    try {
      await setPhone(r.user_id, value.trim() ? value.trim() : null);
      toast(t("saved"));
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (e) {
      toast(e instanceof ApiError ? errorText(e.code, e.message) : errorText("offline"), "error");
    }
  } }, t("reach_set_phone"));
  return h("li", { class: `item${r.reachable ? "" : " level-red"}`, "data-user": r.username },
    h("strong", null, `${r.display_name} (${r.username})`), " ",
    r.reachable ? null : h("span", { class: "badge risk-red" }, t("reach_unreachable")),
    h("small", null, ` ${enumLabel("users", "role", r.role)} · ${unitName(r.org_unit_id)}`),
    h("p", null, `${t("reach_push_col")}: ${stateLabel(r.push)} (${r.push_devices})`,
      r.last_push_success_at ? ` · ${t("reach_last_push")} ${formatDateTime(r.last_push_success_at)}` : ""),
    h("p", null, `${t("reach_sms_col")}: ${stateLabel(r.sms)} ${r.phone ?? ""}${r.phone && !r.phone_confirmed ? " ?" : ""}`,
      r.last_sms_receipt_at ? ` · ${t("reach_last_sms")} ${formatDateTime(r.last_sms_receipt_at)}` : ""),
    h("div", { class: "actions" }, set));
}

async function adminScreen(_ctx: Ctx): Promise<Screen> {
  const rows = await reachability();
  rows.sort((a, b) => Number(a.reachable) - Number(b.reachable) || a.username.localeCompare(b.username));
  const node = h("div", { class: "stack" },
    h("p", { class: "muted" }, t("reach_admin_hint")),
    rows.length ? h("ul", { class: "list", id: "reach-list" }, rows.map(row)) : emptyState());
  return { title: t("reach_admin"), node };
}

/** `#/c/<code>`: the short code of an SMS opens its record (only for the person it was sent to). */
async function codeScreen(ctx: Ctx): Promise<Screen> {
  const code = decodeURIComponent(ctx.params[0] ?? "");
  try {
    const target = await openCode(code);
    setTimeout(() => { location.hash = target.url.startsWith("#") ? target.url : `#${target.url}`; }, 0);
    return { title: t("reach_code"), node: h("p", { class: "muted" }, "…") };
  } catch (e) {
    const text = e instanceof ApiError ? errorText(e.code, t("reach_code_unknown")) : errorText("offline");
    return { title: t("reach_code"), node: h("p", { class: "empty" }, text) };
  }
}

export function registerReachRoutes(): void {
  route("/admin/reachability", adminScreen);
  route("/c/:code", codeScreen);
}
