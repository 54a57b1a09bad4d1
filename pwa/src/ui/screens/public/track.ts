/**
 * 进度查询: an appeal's status and public timeline by tracking code, the rating once it is
 * resolved (回访), and "notify me" (Web Push for this browser, no account).  The codes this phone
 * received are listed, so a resident never has to type them.
 */
import { h, toast } from "../../dom";
import { t } from "../../i18n";
import { formatDateTime } from "../../format";
import { appealStatus, rateAppeal, subscribeAppeal, vapidKey, type AppealStatus } from "../../../public/api";
import { myAppeals, pending } from "../../../public/outbox";
import { base64UrlToBytes } from "../../../api/vapid";
import { card, problem, serviceName, statusName } from "./common";

function ratingBox(code: string, onDone: () => void): HTMLElement {
  const comment = h("textarea", { name: "comment", rows: 2, maxlength: 1000 }) as HTMLTextAreaElement;
  const rate = (level: string) => async () => {
    try {
      await rateAppeal(code, level, comment.value.trim());
      toast(t("pub_rated"));
      onDone();
    } catch (e) {
      toast(problem(e), "error");
    }
  };
  return card(
    h("h2", null, t("pub_rate")),
    h("div", { class: "row" },
      h("button", { type: "button", "data-rate": "satisfied", onclick: rate("satisfied") }, t("pub_rate_satisfied")),
      h("button", { type: "button", class: "secondary", "data-rate": "basically_satisfied", onclick: rate("basically_satisfied") }, t("pub_rate_basic")),
      h("button", { type: "button", class: "secondary", "data-rate": "unsatisfied", onclick: rate("unsatisfied") }, t("pub_rate_unsatisfied"))),
    h("label", { class: "field" }, h("span", null, t("pub_rate_comment")), comment),
  );
}

async function subscribe(code: string): Promise<void> {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) throw new Error(t("pub_push_unsupported"));
  if ((await Notification.requestPermission()) !== "granted") throw new Error(t("pub_push_unsupported"));
  const reg = await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes((await vapidKey()).public_key) });
  await subscribeAppeal(code, sub.toJSON());
}

function statusView(code: string, s: AppealStatus, reload: () => void): HTMLElement {
  return h("div", { class: "stack", "data-testid": "appeal-status" },
    card(
      h("p", null, `${t("pub_code")}：`, h("strong", { class: "tracking-code" }, code)),
      h("p", null, `${t("pub_status")}：`, h("strong", { "data-status": s.status }, statusName(s.status)), ` · ${serviceName(s.service_type)}`),
      s.reject_reason ? h("p", { class: "error" }, s.reject_reason) : null,
    ),
    card(
      h("h2", null, t("pub_timeline")),
      h("ol", { class: "list timeline" }, s.timeline.map((e) => h("li", { class: "item", "data-step": e.code }, h("small", null, formatDateTime(e.at)), h("p", null, e.what)))),
    ),
    s.can_rate ? ratingBox(code, reload) : null,
    h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        await subscribe(code);
        toast(t("pub_subscribed"));
      } catch (e) {
        toast(problem(e), "error");
      }
    } }, t("pub_subscribe")),
  );
}

export async function trackScreen(params: string[]): Promise<Node> {
  const code = (params[0] ?? "").toUpperCase();
  const out = h("div", { class: "stack" });
  const input = h("input", { name: "code", value: code, maxlength: 14, autocomplete: "off", autocapitalize: "characters", placeholder: "ABCDE23456" }) as HTMLInputElement;
  out.appendChild(h("form", { class: "card row", onsubmit: (ev: Event) => { ev.preventDefault(); location.hash = `#/public/track/${input.value.trim().toUpperCase()}`; } },
    h("label", { class: "field" }, h("span", null, t("pub_code")), input), h("button", { type: "submit" }, t("pub_lookup"))));
  if (code) {
    const reload = () => void trackScreen(params).then((n) => out.replaceWith(n));
    try {
      out.appendChild(statusView(code, await appealStatus(code), reload));
    } catch (e) {
      out.appendChild(card(h("p", { class: "error" }, problem(e))));
    }
  }
  const mine = await myAppeals();
  const waiting = await pending();
  if (mine.length || waiting.length) {
    out.appendChild(card(
      h("h2", null, t("pub_mine")),
      h("ul", { class: "list" },
        waiting.map((w) => h("li", { class: "item" }, w.body.title, " · ", h("small", { class: w.error ? "error" : "muted" }, w.error ?? t("pub_outbox_waiting")))),
        mine.map((m) => h("li", { class: "item" }, h("a", { href: `#/public/track/${m.code}` }, `${m.code} · ${m.title}`)))),
    ));
  }
  return out;
}
