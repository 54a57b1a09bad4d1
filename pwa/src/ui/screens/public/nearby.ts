/**
 * 500米服务圈: service points within 500 m of the resident (or of a chosen community's hall),
 * nearest first with distance and hours, on a small map.  Leaflet is loaded only when the map is
 * shown, so the page itself stays light on a cheap phone.
 */
import { h } from "../../dom";
import { t } from "../../i18n";
import { nearby, type ServicePoint } from "../../../public/api";
import { card, communities, problem } from "./common";

async function drawMap(el: HTMLElement, centre: [number, number], points: ServicePoint[]): Promise<void> {
  const [L] = await Promise.all([import("leaflet"), import("leaflet/dist/leaflet.css")]);
  const map = L.map(el, { attributionControl: true }).setView(centre, 16);
  L.tileLayer("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  L.circle(centre, { radius: 500, weight: 1 }).addTo(map);
  L.circleMarker(centre, { radius: 6, color: "#c0392b" }).addTo(map);
  for (const p of points) {
    const label = document.createElement("span");
    label.textContent = `${p.kind_name} · ${p.name}`;
    L.circleMarker([p.lat, p.lng], { radius: 5 }).bindTooltip(label).addTo(map);
  }
}

function list(points: ServicePoint[]): HTMLElement {
  if (!points.length) return h("p", { class: "empty" }, t("pub_none_nearby"));
  return h("ul", { class: "list", "data-testid": "nearby-list" }, points.map((p) =>
    h("li", { class: "item", "data-kind": p.kind },
      h("div", { class: "item-head" }, h("strong", null, p.name), h("span", { class: "badge", "data-distance": p.distance_m }, t("pub_distance", { m: Math.round(p.distance_m) }))),
      h("small", null, `${p.kind_name}${p.address ? ` · ${p.address}` : ""}`),
      p.hours ? h("p", { class: "muted" }, t("pub_hours", { h: p.hours })) : null)));
}

export async function nearbyScreen(_params: string[], query: URLSearchParams): Promise<Node> {
  const out = h("div", { class: "stack" });
  const results = h("div", { class: "stack" });
  const show = async (q: Parameters<typeof nearby>[0]) => {
    try {
      const answer = await nearby({ ...q, radius_m: 500 });
      const mapEl = h("div", { class: "map", style: "height:240px" });
      const mapButton = h("button", { type: "button", class: "secondary small", onclick: () => { mapButton.remove(); void drawMap(mapEl, [answer.lat, answer.lng], answer.points); } }, t("pub_map"));
      results.replaceChildren(card(mapButton, mapEl, list(answer.points)));
    } catch (e) {
      results.replaceChildren(card(h("p", { class: "error" }, problem(e))));
    }
  };
  const choose = h("select", { name: "community", onchange: (ev: Event) => {
    const v = (ev.target as HTMLSelectElement).value;
    if (v) void show({ org_unit_id: v });
  } }, h("option", { value: "" }, t("pub_choose_community")), (await communities()).map((c) => h("option", { value: c.id }, `${c.street} ${c.name}`)));
  out.appendChild(card(
    h("button", { type: "button", onclick: () => navigator.geolocation?.getCurrentPosition(
      (pos) => void show({ lat: pos.coords.latitude, lng: pos.coords.longitude }),
      () => results.replaceChildren(card(h("p", { class: "error" }, t("pub_choose_community")))),
      { enableHighAccuracy: true, timeout: 15000 },
    ) }, t("pub_use_location")),
    h("label", { class: "field" }, h("span", null, t("pub_community")), choose),
  ));
  out.appendChild(results);
  const lat = Number(query.get("lat"));
  const lng = Number(query.get("lng"));
  if (query.get("lat") && Number.isFinite(lat) && Number.isFinite(lng)) await show({ lat, lng });
  return out;
}
