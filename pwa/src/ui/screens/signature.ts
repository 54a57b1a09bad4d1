/**
 * One party signs on the touch screen: a canvas driven by signature_pad (pointer events, so a
 * finger, a stylus or a mouse), loaded on demand. The drawing becomes a PNG kept in IndexedDB
 * by its SHA-256 like a photo (the sync loop uploads it), and the agreement's `signatures` set
 * gains `{party_name, attachment, signed_at}` — all offline.
 */
import { h, toast } from "../dom";
import { t } from "../i18n";
import { navigate, route, type Ctx, type Screen } from "../app";
import { saveChanges, viewRecord } from "../../sync/view";
import { sha256Hex } from "../capture";
import { db } from "../../storage/db";
import { buttonLink } from "../widgets";
import type { Fields } from "../../types";
import "./agreements_text";

function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("encode"))), "image/png"));
}

/** Sizes the canvas to its box at the screen's pixel density (sharp strokes on any phone). */
function fitCanvas(canvas: HTMLCanvasElement): void {
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = Math.round(canvas.offsetWidth * ratio);
  canvas.height = Math.round(canvas.offsetHeight * ratio);
  canvas.getContext("2d")!.scale(ratio, ratio);
}

async function signScreen(ctx: Ctx): Promise<Screen> {
  const [id, index] = [ctx.params[0]!, Number(ctx.params[1])];
  const agreement = await viewRecord("agreements", id);
  const parties = (agreement?.fields["parties"] as Fields[] | undefined) ?? [];
  const party = parties[index];
  if (!agreement || !party) return { title: t("sign"), node: h("p", { class: "empty" }, t("not_found")) };
  const name = String(party["name"]);
  const canvas = h("canvas", {
    class: "signature-pad",
    "aria-label": t("sign_for", { name }),
    // the pad owns the touches: no scrolling or zooming while a finger draws
    style: "display:block;width:100%;height:min(45vh,260px);border:1px dashed #888;border-radius:8px;background:#fff;touch-action:none",
  });
  const { default: SignaturePad } = await import("signature_pad");
  let pad: InstanceType<typeof SignaturePad> | undefined;
  const onResize = () => { if (pad) { fitCanvas(canvas); pad.clear(); } };
  const node = h("div", { class: "stack" },
    h("h2", { class: "title" }, t("sign_for", { name })),
    h("p", null, h("small", null, t("sign_hint"))),
    canvas,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", "data-action": "clear-signature", onclick: () => pad?.clear() }, t("clear_signature")),
      h("button", { type: "button", "data-action": "confirm-signature", onclick: async () => {
        if (!pad || pad.isEmpty()) { toast(t("signature_empty"), "error"); return; }
        const png = await canvasPng(canvas);
        const sha = await sha256Hex(png);
        const d = await db();
        if (!(await d.get("attachments", sha))) {
          await d.put("attachments", { sha256: sha, blob: png, type: "image/png", uploaded: false, created_at: Date.now() });
        }
        const current = await viewRecord("agreements", id);
        const others = ((current?.fields["signatures"] as Fields[] | undefined) ?? []).filter((s) => s["party_name"] !== name);
        await saveChanges("agreements", id, { signatures: [...others, { party_name: name, attachment: sha, signed_at: new Date().toISOString() }] });
        toast(t("signature_saved"));
        navigate(`/agreements/${id}`);
      } }, t("confirm_signature")),
      buttonLink(`/agreements/${id}`, t("cancel"), "button secondary")));
  // the canvas needs its laid-out size before the pad attaches
  requestAnimationFrame(() => {
    fitCanvas(canvas);
    pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#111" });
    window.addEventListener("resize", onResize);
  });
  return { title: t("sign"), node, cleanup: () => { pad?.off(); window.removeEventListener("resize", onResize); } };
}

export function registerSignatureRoutes(): void {
  route("/agreements/:id/sign/:index", signScreen);
}
