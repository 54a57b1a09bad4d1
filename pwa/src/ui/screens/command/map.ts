/**
 * 一张图: disputes, warnings and open dispatch orders of the admin's subtree on one map, coloured
 * by level (blue/yellow/orange/red), grid-clustered when dense, filtered by level, status,
 * service type and period; a click opens the record. The org boundaries come from
 * /api/command/boundaries as GeoJSON, so the map is drawn with no tile server at all; a base
 * map is added only when the server is configured with an XYZ tile URL, and when that provider
 * is GCJ-02 our WGS-84 points are shifted to match it. Loaded on demand (Leaflet is ~40 KiB).
 */
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { h, toast } from "../../dom";
import { enumLabel, t } from "../../i18n";
import { formatDateTime } from "../../format";
import { navigate, type Ctx, type Screen } from "../../app";
import { enumOf } from "../../../schema";
import { unitName } from "../../directory";
import { getBoundaries, getMap, getMapConfig, type GeoFeature, type MapConfigAnswer, type MapQuery } from "../../../command/api";
import { gridCluster, LEVELS } from "../../../command/cluster";
import { shiftFor } from "../../../command/gcj02";
import { listenLive, type LiveState } from "../../../command/live";

/** Filters survive re-renders and coming back from a record. */
const filters = { levels: new Set<string>(LEVELS), status: "open", service_type: "", period: "30" };

const CELL_PX = 48;
const LEVEL_COLOURS: Record<string, string> = { blue: "#2563eb", yellow: "#ca8a04", orange: "#ea580c", red: "#dc2626" };

/** The base map: a tile URL template (none: the outlines alone) and the tiles' datum. */
export interface MapConfig {
  tileUrl: string | null;
  crs: string;
}

export function mapConfig(a: MapConfigAnswer | null | undefined): MapConfig {
  return { tileUrl: a?.tile_url || null, crs: a?.crs === "gcj02" ? "gcj02" : "wgs84" };
}

export function levelOf(p: Record<string, unknown>): string | null {
  const l = p["risk_level"] ?? p["level"];
  return typeof l === "string" && (LEVELS as readonly string[]).includes(l) ? l : null;
}

/** The screen a map point opens. */
export function recordHref(p: Record<string, unknown>): string | null {
  const id = encodeURIComponent(String(p["id"] ?? ""));
  if (!id) return null;
  switch (p["collection"]) {
    case "disputes": return `/disputes/${id}`;
    case "dispatch_orders": return `/orders/${id}`;
    case "warnings": return `/inbox/warnings/${id}`;
    default: return null;
  }
}

function periodFrom(period: string): string | undefined {
  const days = Number(period);
  return days > 0 ? new Date(Date.now() - days * 86_400_000).toISOString() : undefined;
}

function query(orgUnitId: string): MapQuery {
  const all = filters.levels.size === LEVELS.length;
  return {
    org_unit_id: orgUnitId,
    levels: all ? undefined : [...filters.levels].join(","),
    status: filters.status || undefined,
    service_type: filters.service_type || undefined,
    from: periodFrom(filters.period),
  };
}

/** The same filters on the answer, so a server that ignores a parameter still shows what was asked. */
function keep(f: GeoFeature): boolean {
  const p = f.properties;
  const level = levelOf(p);
  if (filters.levels.size < LEVELS.length && (!level || !filters.levels.has(level))) return false;
  if (filters.service_type && p["service_type"] !== undefined && p["service_type"] !== filters.service_type) return false;
  return f.geometry?.type === "Point";
}

function pointTitle(p: Record<string, unknown>): string {
  const kind = t(`cmd_collection_${String(p["collection"])}`);
  const level = levelOf(p);
  const status = p["status"] ? enumLabel(String(p["collection"]), "status", p["status"]) : "";
  return [`${kind}${level ? ` · ${enumLabel("warnings", "level", level)}` : ""}`, String(p["title"] ?? ""), status, unitName(p["community_id"])]
    .filter((s) => s && s !== "—").join("\n");
}

export async function mapScreen(ctx: Ctx): Promise<Screen> {
  const orgUnitId = ctx.query.get("org_unit_id") || ctx.user.org_unit_id;
  const [boundaries, first, cfg] = await Promise.all([getBoundaries(orgUnitId), getMap(query(orgUnitId)), getMapConfig()]);
  const config = mapConfig(cfg);
  const shift = shiftFor(config.crs);
  const toLatLng = (lng: number, lat: number) => L.latLng(...shift(lat, lng));

  const mapEl = h("div", { class: "cmd-map", id: "cmd-map", "data-crs": config.crs, "data-tiles": config.tileUrl ? "1" : "0" });
  const count = h("small", { class: "count cmd-count" });
  const liveEl = h("small", { class: "cmd-live", "data-state": "connecting" });
  const warningList = h("ul", { class: "list cmd-warnings" });
  let features: GeoFeature[] = first.features;
  let map: L.Map | undefined;
  const pointLayer = L.layerGroup();

  const levelBoxes = LEVELS.map((l) => h("label", { class: `cmd-level level-${l}` },
    h("input", { type: "checkbox", name: "level", value: l, checked: filters.levels.has(l), onchange: (ev: Event) => {
      const box = ev.target as HTMLInputElement;
      if (box.checked) filters.levels.add(l);
      else filters.levels.delete(l);
      void refresh();
    } }), enumLabel("warnings", "level", l)));
  const select = (name: keyof typeof filters, options: [string, string][]) =>
    h("select", { name, "aria-label": name, onchange: (ev: Event) => {
      (filters as Record<string, unknown>)[name] = (ev.target as HTMLSelectElement).value;
      void refresh();
    } }, options.map(([v, label]) => h("option", { value: v, selected: filters[name] === v }, label)));

  const children = boundaries.features.map((f) => ({ id: String(f.properties["org_unit_id"] ?? f.id ?? ""), name: String(f.properties["name"] ?? "") })).filter((c) => c.id);
  const unitPicker = children.length || orgUnitId !== ctx.user.org_unit_id
    ? h("select", { name: "org_unit_id", "aria-label": t("cmd_unit"), onchange: (ev: Event) => navigate(`/map?org_unit_id=${encodeURIComponent((ev.target as HTMLSelectElement).value)}`) },
        orgUnitId !== ctx.user.org_unit_id ? h("option", { value: ctx.user.org_unit_id }, `↑ ${unitName(ctx.user.org_unit_id)}`) : null,
        h("option", { value: orgUnitId, selected: true }, unitName(orgUnitId) === "—" ? t("cmd_unit") : unitName(orgUnitId)),
        children.map((c) => h("option", { value: c.id }, `　${c.name}`)))
    : null;
  const form = h("form", { class: "filters cmd-filters", onsubmit: (ev: Event) => ev.preventDefault() },
    unitPicker,
    h("fieldset", { class: "cmd-levels" }, h("legend", null, t("cmd_level")), levelBoxes),
    select("status", [["open", t("cmd_status_open")], ["", t("cmd_status_all")]]),
    select("service_type", [["", t("cmd_all_types")], ...enumOf("disputes", "service_type").map((v): [string, string] => [v, enumLabel("disputes", "service_type", v)])]),
    select("period", [["7", t("cmd_period_7")], ["30", t("cmd_period_30")], ["90", t("cmd_period_90")], ["0", t("cmd_period_all")]]));

  function drawPoints(): void {
    if (!map) return;
    pointLayer.clearLayers();
    const shown = features.filter(keep);
    count.textContent = t("cmd_points", { n: shown.length });
    mapEl.dataset["points"] = String(shown.length);
    const placed = shown.map((f) => {
      const [lng, lat] = (f.geometry!.coordinates as number[]) as [number, number];
      const ll = toLatLng(lng, lat);
      const px = map!.latLngToLayerPoint(ll);
      return { x: px.x, y: px.y, level: levelOf(f.properties), item: { f, ll } };
    });
    for (const c of gridCluster(placed, CELL_PX)) {
      const level = c.level ?? "none";
      if (c.items.length === 1) {
        const { f, ll } = c.items[0]!;
        const p = f.properties;
        // A record without its own position sits at its community's centre: drawn hollow-ish.
        const located = p["located"] !== false;
        const marker = L.circleMarker(ll, {
          radius: p["collection"] === "warnings" ? 9 : 7,
          color: located ? "#fff" : LEVEL_COLOURS[level] ?? "#6b7280", weight: 2, fillOpacity: located ? 0.95 : 0.45,
          fillColor: LEVEL_COLOURS[level] ?? "#6b7280",
          className: `cmd-point level-${level} kind-${String(p["collection"])}`,
        });
        // An element, never a string: Leaflet puts strings in as HTML, and titles are people's words.
        marker.bindTooltip(h("div", { class: "cmd-tip" }, pointTitle(p).split("\n").map((line, i) => (i ? h("div", null, line) : h("strong", null, line)))), { direction: "top" });
        marker.on("click", () => {
          const href = recordHref(p);
          if (href) navigate(href);
        });
        marker.on("add", () => {
          const el = marker.getElement();
          el?.setAttribute("data-id", String(p["id"]));
          el?.setAttribute("data-collection", String(p["collection"]));
          el?.setAttribute("data-level", level);
        });
        pointLayer.addLayer(marker);
      } else {
        const bounds = L.latLngBounds(c.items.map((i) => i.ll));
        const icon = L.divIcon({ className: `cmd-cluster level-${level}`, html: String(c.items.length), iconSize: [34, 34] });
        const marker = L.marker(map.layerPointToLatLng(L.point(c.x, c.y)), {
          icon, title: t("cmd_cluster", { n: c.items.length, level: c.level ? enumLabel("warnings", "level", c.level) : t("cmd_level_none") }),
        });
        // Zoom into the cluster; when its points share a spot, the closest zoom still splits nothing: open a list.
        marker.on("click", () => {
          if (map!.getZoom() >= map!.getMaxZoom() || bounds.getNorthEast().equals(bounds.getSouthWest())) {
            L.popup().setLatLng(bounds.getCenter()).setContent(clusterList(c.items.map((i) => i.f))).openOn(map!);
          } else map!.fitBounds(bounds.pad(0.3), { maxZoom: map!.getZoom() + 3 });
        });
        pointLayer.addLayer(marker);
      }
    }
    drawWarnings(shown);
  }

  function clusterList(list: GeoFeature[]): HTMLElement {
    return h("ul", { class: "cmd-popup-list" }, list.map((f) => {
      const href = recordHref(f.properties);
      return h("li", null, h("a", { href: href ? `#${href}` : undefined, class: `level-${levelOf(f.properties) ?? "none"}` }, pointTitle(f.properties).split("\n").slice(0, 2).join(" · ")));
    }));
  }

  function drawWarnings(shown: GeoFeature[]): void {
    const warnings = shown.filter((f) => f.properties["collection"] === "warnings")
      .sort((a, b) => String(b.properties["updated_at"] ?? "").localeCompare(String(a.properties["updated_at"] ?? "")));
    warningList.replaceChildren(...(warnings.length ? warnings.slice(0, 50).map((f) => {
      const p = f.properties;
      const level = levelOf(p) ?? "none";
      return h("li", null, h("a", { class: `item risk-edge-${level}`, href: `#${recordHref(p) ?? "/inbox"}`, "data-id": String(p["id"]) },
        h("div", { class: "item-head" }, h("strong", null, String(p["title"] ?? "—")), h("span", { class: `badge risk-${level}` }, enumLabel("warnings", "level", level))),
        h("small", null, `${unitName(p["community_id"])} · ${formatDateTime(p["updated_at"])}`)));
    }) : [h("li", { class: "empty" }, t("no_records"))]));
  }

  let seq = 0;
  async function refresh(): Promise<void> {
    const mine = ++seq;
    try {
      const answer = await getMap(query(orgUnitId));
      if (mine !== seq) return;
      features = answer.features;
      drawPoints();
    } catch (e) {
      if (mine === seq) toast(t("cmd_load_failed", { e: String((e as Error)?.message ?? e) }), "error");
    }
  }

  function mount(): void {
    map = L.map(mapEl, { zoomControl: true, attributionControl: Boolean(config.tileUrl), preferCanvas: false, maxZoom: 18 });
    // Unit names sit above the outlines but under the markers, so a name never hides a case.
    map.createPane("cmd-labels").style.zIndex = "450";
    if (config.tileUrl) L.tileLayer(config.tileUrl, { maxZoom: 18, ...(config.tileUrl.includes("t{s}.") ? { subdomains: "01234567" } : {}) }).addTo(map);
    const own = (boundaries["unit"] as { boundary?: GeoJSON.Geometry | null } | undefined)?.boundary;
    const ownLayer = own
      ? L.geoJSON({ type: "Feature", geometry: own, properties: {} } as GeoJSON.Feature, {
          coordsToLatLng: (c: number[]) => toLatLng(c[0]!, c[1]!),
          style: () => ({ color: "#115e59", weight: 3, fill: false, dashArray: "6 4", className: "cmd-boundary-own" }),
          interactive: false,
        }).addTo(map)
      : undefined;
    const outline = L.geoJSON(boundaries as unknown as GeoJSON.GeoJsonObject, {
      coordsToLatLng: (c: number[]) => toLatLng(c[0]!, c[1]!),
      style: () => ({ color: "#0f766e", weight: 2, fillColor: "#14b8a6", fillOpacity: 0.06, className: "cmd-boundary" }),
      onEachFeature: (f, layer) => {
        const name = String((f.properties as Record<string, unknown>)?.["name"] ?? "");
        if (name) layer.bindTooltip(h("span", null, name), { permanent: true, direction: "center", className: "cmd-boundary-label", pane: "cmd-labels" });
      },
    }).addTo(map);
    const b = outline.getBounds();
    if (ownLayer) b.extend(ownLayer.getBounds());
    const pts = features.filter((f) => f.geometry?.type === "Point").map((f) => {
      const [lng, lat] = f.geometry!.coordinates as [number, number];
      return toLatLng(lng, lat);
    });
    // Frame the outlines and every point (a case outside the drawn outlines is not hidden).
    if (pts.length) b.extend(L.latLngBounds(pts));
    const all = b.isValid() ? b : undefined;
    if (all) map.fitBounds(all.pad(0.05));
    else map.setView(toLatLng(113.9359, 22.7486), 12); // Guangming, when there is nothing to frame
    pointLayer.addTo(map);
    map.on("zoomend", drawPoints);
    drawPoints();
    mapEl.dataset["ready"] = "1";
  }

  // Leaflet measures its container: build the map once the screen is in the page.
  let tries = 0;
  const whenAttached = () => {
    if (mapEl.isConnected) mount();
    else if (tries++ < 100) requestAnimationFrame(whenAttached);
  };
  requestAnimationFrame(whenAttached);
  const onResize = () => map?.invalidateSize();
  window.addEventListener("resize", onResize);

  // Live: a warning, an order's status or a dispute's risk changed in scope → fetch the points again.
  let liveTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = listenLive(orgUnitId, (e) => {
    const collection = String(e.data["collection"] ?? "");
    if (e.event !== "resync" && !["disputes", "warnings", "dispatch_orders"].includes(collection)) return;
    if (liveTimer) clearTimeout(liveTimer);
    liveTimer = setTimeout(() => void refresh(), 500);
    // Events carry no titles (nothing personal on the wire): a new warning is named by its level.
    if (collection === "warnings" && e.data["op"] === "created") {
      const level = levelOf(e.data);
      toast(t("cmd_new_event", { what: `${level ? `${enumLabel("warnings", "level", level)} ` : ""}${t("cmd_collection_warnings")}` }));
    }
  }, (s: LiveState) => {
    liveEl.dataset["state"] = s;
    liveEl.textContent = t(`cmd_live_${s}`);
  });

  const demo = boundaries["demo"] === true;
  const node = h("div", { class: "cmd-map-layout" },
    h("div", { class: "cmd-map-wrap" }, mapEl),
    h("aside", { class: "cmd-side stack" },
      h("div", { class: "card" }, form, h("div", { class: "row" }, count, liveEl),
        demo ? h("small", { class: "muted" }, t("cmd_demo_boundaries")) : null,
        boundaries.features.length ? null : h("small", { class: "muted" }, t("cmd_no_boundaries"))),
      h("section", { class: "card" }, h("h2", null, t("cmd_warning_list")), warningList)));
  return {
    title: `${t("cmd_map")} · ${unitName(orgUnitId)}`,
    node,
    cleanup: () => {
      stop();
      if (liveTimer) clearTimeout(liveTimer);
      window.removeEventListener("resize", onResize);
      map?.remove();
    },
  };
}
