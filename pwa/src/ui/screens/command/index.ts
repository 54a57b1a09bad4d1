/**
 * Routes of the command view for community, street and district admins. The screens themselves
 * (Leaflet map, uPlot charts) are separate chunks loaded on first use, so the field app's shell
 * (what every grid worker's phone loads at start) does not carry them.
 */
import { h } from "../../dom";
import { errorText, t } from "../../i18n";
import { route, type Ctx, type Screen } from "../../app";
import { listenLive } from "../../../command/live";
import type { User } from "../../../types";
import "./text";
import "./command.css";

export const COMMAND_ROLES = ["community_admin", "street_admin", "district_admin"];

type Loader = () => Promise<(ctx: Ctx) => Promise<Screen>>;

function lazy(loader: Loader): (ctx: Ctx) => Promise<Screen> {
  return async (ctx) => {
    if (!COMMAND_ROLES.includes(ctx.user.role)) return { title: t("app"), node: h("p", { class: "empty" }, t("not_found")) };
    try {
      return await (await loader())(ctx);
    } catch (e) {
      console.error(e);
      // A chunk that cannot load (offline before the service worker cached it) or a failed call.
      const offline = navigator.onLine === false || (e as Error)?.name === "NetworkError" || /dynamically imported|Failed to fetch/.test(String(e));
      return {
        title: t("app"),
        node: h("div", { class: "card stack cmd-error" },
          h("p", { class: offline ? "muted" : "error" }, offline ? t("cmd_needs_network") : t("cmd_load_failed", { e: errorText((e as { code?: string }).code, String((e as Error)?.message ?? e)) })),
          h("button", { type: "button", class: "secondary", onclick: () => window.dispatchEvent(new HashChangeEvent("hashchange")) }, t("cmd_retry"))),
      };
    }
  };
}

export function registerCommandRoutes(): void {
  route("/map", lazy(async () => (await import("./map")).mapScreen));
  route("/stats", lazy(async () => (await import("./stats")).statsScreen));
  route("/stats/records", lazy(async () => (await import("./stats")).drillScreen));
  route("/scorecard", lazy(async () => (await import("./stats")).scorecardScreen));
  route("/supervision", lazy(async () => (await import("./supervision")).supervisionScreen));
}

/** Home tiles of the command view (admins only). */
export function commandTiles(user: User): [href: string, label: string][] {
  if (!COMMAND_ROLES.includes(user.role)) return [];
  return [["/map", t("cmd_map")], ["/stats", t("cmd_stats")], ["/supervision", t("cmd_supervision")], ["/scorecard", t("cmd_scorecard")]];
}

let background: (() => void) | undefined;
/**
 * While an admin's app is open, live events ask for a pull, so the synced warning list and the
 * inbox update without a reload (the map listens to the same stream itself).
 */
export function startCommandLive(user: User): void {
  background?.();
  background = COMMAND_ROLES.includes(user.role) ? listenLive(user.org_unit_id, () => undefined) : undefined;
}
