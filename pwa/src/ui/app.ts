/**
 * The app shell: header, sync bar, hash router and bottom navigation. Screens are async
 * functions returning DOM; "live" screens re-render when local data changes (a pull, an edit in
 * another tab), forms do not, so typing is never interrupted.
 */
import { clear, h } from "./dom";
import { t, errorText, enumLabel } from "./i18n";
import "./volunteer-text";
import "./incentives-text";
import { formatDateTime } from "./format";
import { onSyncState, syncState, type SyncState } from "../sync/state";
import { onBroadcast } from "../sync/events";
import { requestSync } from "../sync/scheduler";
import { loadDirectory } from "./directory";
import type { User } from "../types";

export interface Screen {
  title: string;
  node: Node;
  live?: boolean;
  /** called when leaving the screen (timers) */
  cleanup?: () => void;
}

export interface Ctx {
  user: User;
  params: string[];
  query: URLSearchParams;
}

type Handler = (ctx: Ctx) => Promise<Screen>;

const routes: [RegExp, Handler][] = [];
export function route(pattern: string, handler: Handler): void {
  // "/disputes/:id" → ^/disputes/([^/]+)$
  routes.push([new RegExp(`^${pattern.replace(/:\w+/g, "([^/]+)")}$`), handler]);
}

let user: User | undefined;
let current: Screen | undefined;
let main: HTMLElement;
let titleEl: HTMLElement;
let barEl: HTMLElement;
let navEl: HTMLElement;
let renderSeq = 0;
let listening = false;

export function navigate(path: string): void {
  location.hash = path.startsWith("#") ? path : `#${path}`;
}

function parseHash(): { path: string; query: URLSearchParams } {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, q] = raw.split("?");
  return { path: path || "/", query: new URLSearchParams(q ?? "") };
}

export async function render(): Promise<void> {
  if (!user) return;
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  const scrollY = window.scrollY;
  const samePath = main.dataset["path"] === path;
  let screen: Screen;
  try {
    const match = routes.map(([re, fn]) => [re.exec(path), fn] as const).find(([m]) => m);
    screen = match
      ? await match[1]({ user, params: match[0]!.slice(1).map(decodeURIComponent), query })
      : { title: t("app"), node: h("p", { class: "empty" }, t("not_found")) };
  } catch (e) {
    console.error(e);
    screen = { title: t("app"), node: h("p", { class: "error" }, errorText("unknown", String(e))) };
  }
  if (seq !== renderSeq) return; // a newer navigation won
  current?.cleanup?.();
  current = screen;
  clear(main);
  main.appendChild(screen.node);
  main.dataset["path"] = path;
  titleEl.textContent = screen.title;
  document.title = `${screen.title} · ${t("app")}`;
  window.scrollTo(0, samePath ? scrollY : 0);
  for (const a of Array.from(navEl.querySelectorAll("a"))) {
    const href = a.getAttribute("href")!.slice(1);
    a.classList.toggle("active", href === "/" ? path === "/" : path.startsWith(href));
  }
}

let rerenderTimer: ReturnType<typeof setTimeout> | undefined;
function rerenderIfLive(): void {
  if (rerenderTimer) clearTimeout(rerenderTimer);
  rerenderTimer = setTimeout(async () => {
    await loadDirectory();
    const active = document.activeElement;
    // Never rebuild under a user's fingers; try again shortly.
    if (active && main.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName)) return rerenderIfLive();
    // A half-filled form on a live screen (check-in on an order) is kept; the user navigates on.
    if (main.querySelector("form[data-dirty]")) return;
    if (current?.live) void render();
  }, 250);
}

function syncBarContent(s: SyncState): Node[] {
  const parts: Node[] = [];
  if (!s.online) parts.push(h("span", { class: "offline" }, t("offline")));
  if (s.running) {
    parts.push(h("span", { class: "progress" }, s.phase === "pull" && s.pulled > 0 ? t("syncing_progress", { n: s.pulled }) : t("syncing")));
  } else if (s.lastError && s.online) {
    parts.push(h("span", { class: "err" }, t("sync_error", { e: errorText(s.lastError) })));
  }
  if (s.unsent > 0) parts.push(h("a", { href: "#/outbox", class: "unsent" }, t("unsent", { n: s.unsent })));
  if (s.rejected > 0) parts.push(h("a", { href: "#/outbox", class: "rejected" }, t("rejected_n", { n: s.rejected })));
  parts.push(h("span", { class: "last" }, s.lastSyncAt ? t("last_sync", { t: formatDateTime(s.lastSyncAt) }) : t("never_synced")));
  parts.push(h("button", { type: "button", class: "link", onclick: () => requestSync("manual"), disabled: s.running }, t("sync_now")));
  return parts;
}

function renderSyncBar(s: SyncState): void {
  clear(barEl);
  barEl.className = `syncbar${s.online ? "" : " is-offline"}${s.lastError && s.online ? " has-error" : ""}`;
  for (const n of syncBarContent(s)) barEl.appendChild(n);
}

function navLinks(u: User): [string, string][] {
  const byRole: Record<string, [string, string][]> = {
    grid_worker: [["/disputes", "disputes"], ["/reports", "vol_reports"]],
    lawyer: [["/consultations", "consultations"], ["/disputes", "disputes"], ["/agreements", "agreements"]],
    psychologist: [["/psych", "psych"]],
    community_admin: [["/triage", "triage"], ["/appeals", "appeals_triage"], ["/orders", "orders"], ["/reports", "vol_reports"], ["/incentives", "inc_nav"]],
    department_officer: [["/orders", "orders"]],
    street_admin: [["/triage", "triage"], ["/orders", "orders"], ["/incentives", "inc_nav"]],
    district_admin: [["/triage", "triage"], ["/orders", "orders"]],
    volunteer: [["/volunteer/reports", "vol_my_reports"], ["/volunteer/me", "vol_points_awards"]],
  };
  return [["/", "home"], ...(byRole[u.role] ?? []), ["/inbox", "inbox"], ["/settings", "settings"]];
}

/** Builds the shell for a logged-in user and starts routing. */
export async function mountShell(root: HTMLElement, u: User): Promise<void> {
  user = u;
  await loadDirectory();
  clear(root);
  titleEl = h("h1", null, t("app"));
  barEl = h("div", { class: "syncbar", role: "status" });
  main = h("main", { id: "main" });
  main.addEventListener("input", (ev) => (ev.target as Element).closest("form")?.setAttribute("data-dirty", "1"));
  navEl = h(
    "nav",
    { class: "tabs" },
    navLinks(u).map(([href, key]) => h("a", { href: `#${href}` }, t(key))),
  );
  root.appendChild(
    h(
      "header",
      { class: "top" },
      h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "家"), titleEl),
      h("span", { class: "who", title: `${u.display_name} · ${enumLabel("users", "role", u.role)}` }, u.display_name),
      h("span", { id: "header-actions" }),
    ),
  );
  root.appendChild(barEl);
  root.appendChild(h("div", { id: "update-banner", hidden: true }));
  root.appendChild(main);
  root.appendChild(navEl);
  renderSyncBar(syncState());
  if (!listening) {
    // Once per page: mounting again after a re-login must not stack listeners.
    listening = true;
    onSyncState((s) => renderSyncBar(s));
    onBroadcast((m) => {
      if (m.type === "data-changed" || m.type === "sync-finished") rerenderIfLive();
    });
    window.addEventListener("hashchange", () => void render());
  }
  await render();
}

/** Shown when a new service worker waits: the user decides when to reload. */
export function showUpdateBanner(onReload: () => void): void {
  const el = document.getElementById("update-banner");
  if (!el) return;
  clear(el);
  el.hidden = false;
  el.className = "update";
  el.appendChild(h("span", null, t("update_ready")));
  el.appendChild(h("button", { type: "button", onclick: onReload }, t("reload")));
}
