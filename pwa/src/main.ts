/**
 * Boot: resume the stored session straight from IndexedDB (no network needed), or show the
 * login; then start the sync scheduler and the service worker.
 */
import "./ui/style.css";
import { clear, h, toast } from "./ui/dom";
import { fieldLabel, lang, problemText, setLang, t } from "./ui/i18n";
import { InvalidChange } from "./sync/validate";
import { mountShell, showUpdateBanner } from "./ui/app";
import { loginView } from "./ui/screens/login";
import { registerDisputeRoutes } from "./ui/screens/disputes";
import { registerOrderRoutes } from "./ui/screens/orders";
import { registerConsultationRoutes } from "./ui/screens/consultations";
import { registerPsychRoutes } from "./ui/screens/psych";
import { registerInboxRoutes } from "./ui/screens/inbox";
import { registerConflictRoutes } from "./ui/screens/conflicts";
import { registerOutboxRoutes } from "./ui/screens/outbox";
import { registerSettingsRoutes } from "./ui/screens/settings";
import { registerReachRoutes } from "./ui/screens/reach";
import { ackNotification } from "./api/notify";
import { registerHomeRoutes } from "./ui/screens/home";
import { registerAgreementRoutes } from "./ui/screens/agreements";
import { registerSignatureRoutes } from "./ui/screens/signature";
import { registerVolunteerRoutes } from "./ui/screens/volunteer";
import { registerReportRoutes } from "./ui/screens/reports";
import { registerIncentiveRoutes } from "./ui/screens/incentives";
import { joinView } from "./ui/screens/join";
import { registerAppealTriageRoutes } from "./ui/screens/appeals-triage";
import { registerCommandRoutes, startCommandLive } from "./ui/screens/command";
import { currentSession, hasPin, wipeLocal } from "./api/auth";
import { lockActive } from "./api/pin";
import { lockView, lockedUsers } from "./ui/screens/lock";
import { withLock } from "./sync/locks";
import { activeSession, tabletUser } from "./storage/tablet";
import { adoptLegacyDatabase } from "./storage/legacy";
import { broadcast } from "./sync/events";
import { refreshPushSubscription } from "./api/push";
import { loadCachedSchema, refreshSchema } from "./sync/engine";
import { requestSync, setLoginRequiredHandler, setRevokedHandler, startSyncScheduler } from "./sync/scheduler";
import { setAfterEditHook } from "./sync/view";
import { onBroadcast } from "./sync/events";
import { pendingCount } from "./storage/outbox";
import { requestPersistence } from "./storage/db";
import type { User } from "./types";

const root = document.getElementById("app")!;

registerHomeRoutes();
registerDisputeRoutes();
registerOrderRoutes();
registerConsultationRoutes();
registerPsychRoutes();
registerInboxRoutes();
registerConflictRoutes();
registerOutboxRoutes();
registerSettingsRoutes();
registerAgreementRoutes();
registerSignatureRoutes();
registerReachRoutes();
registerVolunteerRoutes();
registerReportRoutes();
registerIncentiveRoutes();
registerAppealTriageRoutes();
registerCommandRoutes();

let loginVisible = false;
function showLogin(notice?: string): void {
  loginVisible = true;
  clear(root);
  root.appendChild(loginView((u) => void start(u), notice));
}

/** The public join page of an invite's QR code (`#/join?code=…`), before anyone logs in. */
function showJoin(): boolean {
  if (!location.hash.startsWith("#/join")) return false;
  const code = new URLSearchParams(location.hash.split("?")[1] ?? "").get("code") ?? "";
  const back = (notice?: string) => { history.replaceState(null, "", "#/"); showLogin(notice); };
  loginVisible = true;
  clear(root);
  root.appendChild(joinView(code, (notice) => back(notice), () => back()));
  return true;
}

/** A revoked device: tell the person what is lost, then wipe. */
async function onRevoked(): Promise<void> {
  const unsent = await pendingCount();
  clear(root);
  root.appendChild(h("div", { class: "login-wrap" }, h("div", { class: "card stack" },
    h("p", { class: "error" }, t("revoked")),
    unsent ? h("p", null, t("logout_unsent", { n: unsent }).split("。")[0]) : null,
    h("button", { type: "button", onclick: async () => { await wipeLocal(); showLogin(); } }, t("login")))));
  if (!unsent) {
    await wipeLocal();
    showLogin(t("revoked"));
  }
}

/** One reload, however many reasons arrive at once (a switch here and its broadcast). */
let reloading = false;
function reloadOnce(): void {
  if (reloading) return;
  reloading = true;
  location.reload();
}

/** The shared tablet's lock screen (people with a PIN), or the login when there is nobody. */
async function showLock(): Promise<void> {
  if (!(await lockedUsers()).length) return showLogin();
  loginVisible = true;
  clear(root);
  // A reload after unlocking starts everything from the unlocked person's database only.
  root.appendChild(await lockView(() => { broadcast({ type: "switched" }); reloadOnce(); }, () => showLogin()));
}

/**
 * A tapped notification of someone other than the active person (`#/for/<owner>/<target>`, from
 * the service worker): nobody's screen shows it. The active person is locked when they can be
 * (PIN), and the owner's unlock screen says whose message it is; after unlocking it opens.
 */
async function showForOwner(hash: string): Promise<boolean> {
  const m = /^#\/for\/([^/]+)\/(.*)$/.exec(hash);
  if (!m) return false;
  const owner = decodeURIComponent(m[1] ?? "");
  const wanted = decodeURIComponent(m[2] ?? "");
  const target = wanted.startsWith("#/") ? wanted : "#/"; // only a screen of this app
  const active = await activeSession();
  if (active?.user_id === owner) {
    history.replaceState(null, "", target); // theirs after all (unlocked meanwhile)
    return false;
  }
  history.replaceState(null, "", "#/");
  const entry = await tabletUser(owner);
  if (!entry) {
    // Someone no longer known here (forgotten, or a stray link): say so, lock nobody.
    toast(t("notice_for_unknown"), "error");
    return false;
  }
  const notice = t("notice_for_other", { name: entry.user.display_name });
  if (active) await withLock("doorstep-sync", lockActive);
  // Someone without a PIN here cannot unlock: the same words above the password login.
  if (!entry.pin || !entry.sealed) {
    showLogin(notice);
    return true;
  }
  loginVisible = true;
  clear(root);
  root.appendChild(await lockView(
    () => { history.replaceState(null, "", target); broadcast({ type: "switched" }); reloadOnce(); },
    () => showLogin(notice),
    { userId: owner, notice },
  ));
  return true;
}

/**
 * Switch user: wait for a running sync, seal this person's session, and start again from a
 * clean page, so nothing of theirs stays in memory or on screen.
 */
async function switchUser(): Promise<void> {
  await withLock("doorstep-sync", lockActive);
  history.replaceState(null, "", "#/");
  broadcast({ type: "switched" });
  reloadOnce();
}

let started = false;
async function start(user: User): Promise<void> {
  loginVisible = false;
  await mountShell(root, user);
  startCommandLive(user);
  if (await hasPin(user.id)) {
    document.getElementById("header-actions")?.appendChild(
      h("button", { type: "button", class: "link switch-user", onclick: () => void switchUser() }, t("switch_user")));
  }
  if (started) {
    requestSync("start");
    return;
  }
  started = true;
  setAfterEditHook(() => requestSync("edit"));
  setRevokedHandler(() => void onRevoked());
  // Background retries must not wipe what the person is typing into the login form.
  setLoginRequiredHandler(() => loginVisible || showLogin(t("session_expired")));
  startSyncScheduler();
  void requestPersistence();
  void refreshSchema();
  void refreshPushSubscription().catch(() => undefined);
  // Opened from a notification while no window was open (sw.ts `ackUrl`): report it, once.
  const ack = new URLSearchParams(location.search).get("ack");
  if (ack) {
    history.replaceState(null, "", `/${location.hash}`);
    void ackNotification(ack);
  }
}

function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator) || !import.meta.env.PROD) return;
  let accepted = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // Only reload when the person asked for the new version (first install also changes controller).
    if (accepted) location.reload();
  });
  navigator.serviceWorker.addEventListener("message", (ev: MessageEvent) => {
    if (ev.data?.type === "navigate" && typeof ev.data.ack === "string") void ackNotification(ev.data.ack);
    if (ev.data?.type === "navigate" && typeof ev.data.url === "string") {
      const hash = ev.data.url.slice(ev.data.url.indexOf("#"));
      // Another person's notification: a clean page, so nothing of the active person stays.
      if (hash.startsWith("#/for/")) {
        history.replaceState(null, "", hash);
        reloadOnce();
      } else if (hash.startsWith("#")) location.hash = hash;
    }
  });
  void navigator.serviceWorker.register("/sw.js", { updateViaCache: "none" }).then((reg) => {
    const prompt = () => {
      if (reg.waiting && navigator.serviceWorker.controller) {
        showUpdateBanner(() => {
          accepted = true;
          reg.waiting?.postMessage({ type: "skip-waiting" });
        });
      }
    };
    prompt();
    reg.addEventListener("updatefound", () => {
      const w = reg.installing;
      w?.addEventListener("statechange", () => w.state === "installed" && prompt());
    });
    setInterval(() => void reg.update().catch(() => undefined), 30 * 60_000);
  });
}

/** A refused value from a one-tap action (no form to show it next to): say it, in words. */
window.addEventListener("unhandledrejection", (ev) => {
  if (!(ev.reason instanceof InvalidChange)) return;
  ev.preventDefault();
  const [name, problem] = Object.entries(ev.reason.problems)[0] ?? [];
  if (name && problem) toast(problemText(problem, fieldLabel(name)), "error");
});

async function boot(): Promise<void> {
  setLang(lang());
  registerServiceWorker();
  // The residents' door: no account, no session, its own chunk (src/public/shell.ts).
  if (/^#\/public(\/|$|\?)/.test(location.hash)) {
    const { mountPublic } = await import("./public/shell");
    mountPublic(root);
    return;
  }
  onBroadcast((m) => {
    if (m.type === "wiped") showLogin();
    // Another tab switched user: never keep showing the previous person's screens.
    if (m.type === "switched") reloadOnce();
  });
  // A `#/for/<owner>/` link followed inside the running app: start clean, as from a notification.
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith("#/for/")) reloadOnce();
  });
  // Before anything reads a session: the previous version's single database becomes its person's.
  await adoptLegacyDatabase().catch((e: unknown) => console.error("legacy database not adopted", e));
  await loadCachedSchema();
  if (await showForOwner(location.hash)) return;
  const session = await currentSession();
  if (session) await start(session.user);
  else if (!showJoin()) await showLock();
}

void boot();
