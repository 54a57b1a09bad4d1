/**
 * 我要反映: the public appeal form.  Opened from a station's QR code (`?station=CODE`) it knows
 * the station and community; otherwise the resident picks their community.  The appeal goes into
 * the phone's outbox first and is sent when online; the tracking code is shown once the server
 * has answered (at once, or later when the phone comes back online).
 */
import { h, toast } from "../../dom";
import { t } from "../../i18n";
import { compressImage, sha256Hex } from "../../capture";
import { flush, onSent, pending, queueAppeal } from "../../../public/outbox";
import { card, communities, problem, SERVICES, serviceName } from "./common";

function codeBox(code: string): HTMLElement {
  return card(
    h("p", null, t("pub_sent")),
    h("p", { class: "tracking-code", "data-testid": "tracking-code" }, code),
    h("p", { class: "muted" }, t("pub_keep_code")),
    h("a", { class: "button", href: `#/public/track/${code}` }, t("pub_track")),
  );
}

export async function appealScreen(_params: string[], query: URLSearchParams): Promise<Node> {
  const station = query.get("station") ?? undefined;
  const list = await communities();
  const stationInfo = station
    ? list.flatMap((c) => c.stations.map((s) => ({ ...s, community: c }))).find((s) => s.code === station)
    : undefined;
  const result = h("div", { class: "stack", id: "appeal-result" });
  const photos: { sha: string; blob: Blob }[] = [];
  let location: { lat: number; lng: number; accuracy_m?: number } | undefined;

  const place = station
    ? h("p", { class: "chip" }, t("pub_station", { name: stationInfo ? `${stationInfo.community.name} ${stationInfo.name}` : station }))
    : h("label", { class: "field" }, h("span", null, t("pub_community")),
        h("select", { name: "community_code", required: true },
          h("option", { value: "" }, t("pub_choose_community")),
          list.map((c) => h("option", { value: c.code }, `${c.street} ${c.name}`))));

  const photoInput = h("input", { type: "file", accept: "image/*", capture: "environment", name: "photo" }) as HTMLInputElement;
  const photoNote = h("small", { class: "muted" });
  photoInput.addEventListener("change", async () => {
    const file = photoInput.files?.[0];
    if (!file) return;
    try {
      const jpeg = await compressImage(file);
      photos.splice(0, photos.length, { sha: await sha256Hex(jpeg), blob: jpeg });
      photoNote.textContent = "✓";
    } catch (e) {
      toast(problem(e), "error");
    }
  });
  const locateNote = h("small", { class: "muted" });
  const locate = h("button", { type: "button", class: "secondary small", onclick: () => {
    navigator.geolocation?.getCurrentPosition(
      (pos) => {
        location = { lat: pos.coords.latitude, lng: pos.coords.longitude, accuracy_m: Math.round(pos.coords.accuracy) };
        locateNote.textContent = t("pub_location_added");
      },
      () => toast(t("pub_offline"), "error"),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  } }, t("pub_location"));

  const form = h("form", { class: "card stack", novalidate: false },
    place,
    h("label", { class: "field" }, h("span", null, t("pub_service")),
      h("select", { name: "service_type", required: true }, SERVICES.map((s) => h("option", { value: s }, serviceName(s))))),
    h("label", { class: "field" }, h("span", null, t("pub_subject")), h("input", { name: "title", required: true, maxlength: 100 })),
    h("label", { class: "field" }, h("span", null, t("pub_description")), h("textarea", { name: "description", rows: 5, maxlength: 4000 })),
    h("label", { class: "field" }, h("span", null, t("pub_phone")), h("input", { name: "contact_phone", type: "tel", inputmode: "tel", maxlength: 20, pattern: "\\+?[0-9][0-9 -]{4,19}" })),
    h("label", { class: "field" }, h("span", null, t("pub_photo")), photoInput, photoNote),
    h("div", { class: "row" }, locate, locateNote),
    // the honeypot: hidden from people (and from screen readers), filled in by bots
    h("label", { class: "visually-hidden", "aria-hidden": "true" }, "Website", h("input", { name: "website", tabindex: -1, autocomplete: "off" })),
    h("p", { class: "muted" }, t("pub_privacy")),
    h("button", { type: "submit" }, t("pub_submit")),
  ) as HTMLFormElement;

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!form.reportValidity()) return;
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? "").trim();
    const entry = await queueAppeal(
      {
        ...(station ? { station_code: station, source: "qr" as const } : { community_code: value("community_code"), source: "app" as const }),
        service_type: value("service_type"),
        title: value("title"),
        description: value("description"),
        ...(value("contact_phone") ? { contact_phone: value("contact_phone") } : {}),
        ...(location ? { location } : {}),
        website: value("website"),
      },
      photos,
    );
    form.reset();
    photos.length = 0;
    result.replaceChildren(card(h("p", { class: "muted", "data-testid": "appeal-queued" }, t("pub_sending"))));
    await flush();
    const still = (await pending()).find((p) => p.client_id === entry.client_id);
    if (still?.error) result.replaceChildren(card(h("p", { class: "error" }, still.error)));
    else if (still) result.replaceChildren(card(h("p", { "data-testid": "appeal-offline" }, t("pub_saved_offline"))));
  });

  const stop = onSent(({ code }) => {
    if (!document.body.contains(result)) return stop();
    result.replaceChildren(codeBox(code));
  });
  const waiting = await pending();
  if (waiting.length) result.appendChild(card(h("p", null, t("pub_outbox", { n: waiting.length })), h("small", { class: "muted" }, t("pub_outbox_waiting"))));
  return h("div", { class: "stack" }, result, form);
}
