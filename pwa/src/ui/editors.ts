/** Compound editors that keep their own value: photos, GPS, parties. */
import { clear, h, toast } from "./dom";
import { t } from "./i18n";
import { addPhoto, captureGps, photoUrl, type Geo } from "./capture";

export interface Editor<T> {
  node: HTMLElement;
  value(): T;
}

export function photoThumb(sha: string): HTMLElement {
  const img = h("img", { alt: t("photos"), loading: "lazy", class: "thumb" });
  void photoUrl(sha).then((u) => {
    if (u) img.src = u;
    else img.classList.add("missing");
  });
  return img;
}

export function photoStrip(list: unknown): HTMLElement | null {
  if (!Array.isArray(list) || list.length === 0) return null;
  return h("div", { class: "photos" }, list.map((s) => photoThumb(String(s))));
}

export function photosEditor(initial: unknown): Editor<string[]> {
  let photos: string[] = Array.isArray(initial) ? initial.map(String) : [];
  const strip = h("div", { class: "photos" });
  const status = h("small");
  const draw = () => {
    clear(strip);
    for (const sha of photos) {
      strip.appendChild(
        h("div", { class: "photo" }, photoThumb(sha),
          h("button", { type: "button", class: "x", "aria-label": t("remove"), onclick: () => { photos = photos.filter((p) => p !== sha); draw(); } }, "×")),
      );
    }
  };
  const input = h("input", {
    type: "file",
    accept: "image/*",
    capture: "environment",
    multiple: true,
    class: "visually-hidden",
    onchange: async () => {
      const files = Array.from(input.files ?? []);
      status.textContent = t("photo_processing");
      for (const f of files) {
        try {
          const sha = await addPhoto(f);
          if (!photos.includes(sha)) photos.push(sha);
        } catch (e) {
          toast(String(e), "error");
        }
      }
      status.textContent = "";
      input.value = "";
      draw();
    },
  });
  draw();
  const node = h("div", { class: "field" },
    h("span", { class: "label" }, t("photos")), strip,
    h("label", { class: "button secondary" }, t("take_photo"), input), status);
  return { node, value: () => photos };
}

export function formatGeo(g: unknown): string {
  const geo = g as Geo | null | undefined;
  if (!geo || typeof geo.lat !== "number") return "—";
  return `${geo.lat.toFixed(5)}, ${geo.lng.toFixed(5)} (±${geo.accuracy_m ?? "?"} m)`;
}

export function gpsEditor(initial: unknown): Editor<Geo | undefined> {
  let geo = initial && typeof (initial as Geo).lat === "number" ? (initial as Geo) : undefined;
  const text = h("span", { class: "geo" }, formatGeo(geo));
  const button = h("button", {
    type: "button",
    class: "secondary",
    onclick: async () => {
      button.disabled = true;
      try {
        geo = await captureGps();
        text.textContent = formatGeo(geo);
      } catch (e) {
        toast(t("gps_failed", { e: (e as Error).message }), "error");
      } finally {
        button.disabled = false;
      }
    },
  }, t("capture_gps"));
  return { node: h("div", { class: "field" }, h("span", { class: "label" }, t("location")), h("div", { class: "row" }, text, button)), value: () => geo };
}

export interface Party {
  name: string;
  phone: string;
  role: string;
}

export function partiesEditor(initial: unknown): Editor<Party[]> {
  const rows: HTMLElement[] = [];
  const list = h("div", { class: "parties" });
  const addRow = (p?: Partial<Party>) => {
    const row = h("div", { class: "party" },
      h("input", { placeholder: t("party_name"), value: p?.name ?? "", "data-k": "name", "aria-label": t("party_name") }),
      h("input", { placeholder: t("party_phone"), value: p?.phone ?? "", "data-k": "phone", type: "tel", "aria-label": t("party_phone") }),
      h("input", { placeholder: t("party_role"), value: p?.role ?? "", "data-k": "role", "aria-label": t("party_role") }),
      h("button", { type: "button", class: "x", "aria-label": t("remove"), onclick: () => { row.remove(); rows.splice(rows.indexOf(row), 1); } }, "×"));
    rows.push(row);
    list.appendChild(row);
  };
  for (const p of Array.isArray(initial) ? (initial as Party[]) : []) addRow(p);
  const node = h("div", { class: "field" }, h("span", { class: "label" }, t("parties")), list,
    h("button", { type: "button", class: "secondary", onclick: () => addRow() }, t("add_party")));
  return {
    node,
    value: () =>
      rows
        .map((r) => {
          const get = (k: string) => (r.querySelector(`[data-k=${k}]`) as HTMLInputElement).value.trim();
          return { name: get("name"), phone: get("phone"), role: get("role") };
        })
        .filter((p) => p.name),
  };
}
