/**
 * The residents' door (群众端): pages anyone can open without an account — raise an appeal (from a
 * station's QR code or not), track it, rate it, the 500 m circle, public figures and the leaders'
 * duty roster.  Its own small shell and router under `#/public/...`; nothing of the staff app's
 * session, sync or data is touched.  Loaded as its own chunk (main.ts imports it on demand).
 */
import "./text";
import { clear, h } from "../ui/dom";
import { lang, setLang, t } from "../ui/i18n";
import { startOutbox } from "./outbox";
import { appealScreen } from "../ui/screens/public/appeal";
import { trackScreen } from "../ui/screens/public/track";
import { figuresScreen } from "../ui/screens/public/figures";
import { nearbyScreen } from "../ui/screens/public/nearby";
import { dutyScreen } from "../ui/screens/public/duty";

export type PublicScreen = (params: string[], query: URLSearchParams) => Promise<Node>;

const ROUTES: [RegExp, PublicScreen, string][] = [
  [/^\/public\/appeal$/, appealScreen, "pub_appeal"],
  [/^\/public\/track(?:\/([^/]+))?$/, trackScreen, "pub_track"],
  [/^\/public\/nearby$/, nearbyScreen, "pub_nearby"],
  [/^\/public\/figures$/, figuresScreen, "pub_figures"],
  [/^\/public\/duty$/, dutyScreen, "pub_duty"],
];
const NAV: [string, string][] = [
  ["/public/appeal", "pub_appeal"],
  ["/public/track", "pub_track"],
  ["/public/nearby", "pub_nearby"],
  ["/public/figures", "pub_figures"],
  ["/public/duty", "pub_duty"],
];

export function isPublicHash(hash: string): boolean {
  return /^#\/public(\/|$|\?)/.test(hash);
}

let main: HTMLElement;
let titleEl: HTMLElement;
let nav: HTMLElement;
let seq = 0;

async function render(): Promise<void> {
  const mine = ++seq;
  const raw = location.hash.replace(/^#/, "") || "/public/appeal";
  const [path = "", q] = raw.split("?");
  const query = new URLSearchParams(q ?? "");
  const found = ROUTES.map(([re, fn, title]) => [re.exec(path), fn, title] as const).find(([m]) => m);
  let node: Node;
  let title = t("pub_title");
  if (!found) {
    location.hash = "#/public/appeal";
    return;
  }
  try {
    node = await found[1](found[0]!.slice(1).filter((p) => p !== undefined).map(decodeURIComponent), query);
    title = t(found[2]);
  } catch (e) {
    node = h("p", { class: "error" }, String((e as Error)?.message ?? e));
  }
  if (mine !== seq) return;
  clear(main);
  main.appendChild(node);
  titleEl.textContent = title;
  document.title = `${title} · ${t("app")}`;
  for (const a of Array.from(nav.querySelectorAll("a"))) {
    a.classList.toggle("active", path.startsWith(a.getAttribute("href")!.slice(1)));
  }
}

/** Replaces the page with the public shell (no login, no staff data). */
export function mountPublic(root: HTMLElement): void {
  setLang(lang());
  clear(root);
  titleEl = h("h1", null, t("pub_title"));
  main = h("main", { id: "main", class: "public" });
  nav = h("nav", { class: "tabs" }, NAV.map(([href, key]) => h("a", { href: `#${href}` }, t(key))));
  const other = lang() === "zh" ? "English" : "中文";
  root.appendChild(
    h("header", { class: "top" },
      h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "家"), titleEl),
      h("button", { type: "button", class: "link", onclick: () => { setLang(lang() === "zh" ? "en" : "zh"); mountPublic(root); } }, other)),
  );
  // style, not `hidden`: the sync bar's own CSS sets its display
  const offline = h("div", { class: "syncbar is-offline", role: "status" }, h("span", { class: "offline" }, t("pub_offline")));
  const showOnline = () => (offline.style.display = navigator.onLine ? "none" : "");
  window.addEventListener("online", showOnline);
  window.addEventListener("offline", showOnline);
  showOnline();
  root.appendChild(offline);
  root.appendChild(main);
  root.appendChild(nav);
  window.onhashchange = () => {
    if (isPublicHash(location.hash)) void render();
    else location.reload(); // leaving the public pages: the staff app starts clean
  };
  startOutbox();
  void render();
}
