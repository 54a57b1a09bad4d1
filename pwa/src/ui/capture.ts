/**
 * Camera photos and GPS. Photos are scaled down and re-encoded as JPEG on a canvas before they
 * are stored (a cheap phone's 12 MP photo would be slow to upload and may exceed 5 MiB), then kept
 * in IndexedDB by their SHA-256 until the sync loop uploads them.
 */
import { db } from "../storage/db";
import { requestBlob } from "../api/client";

const MAX_EDGE = 1600;
const QUALITY = 0.72;

export async function compressImage(file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
  const w = Math.round(bitmap.width * scale);
  const hgt = Math.round(bitmap.height * scale);
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = hgt;
  canvas.getContext("2d")!.drawImage(bitmap, 0, 0, w, hgt);
  bitmap.close();
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("encode"))), "image/jpeg", QUALITY),
  );
}

export async function sha256Hex(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compresses, stores locally for upload, returns the hash the record refers to. */
export async function addPhoto(file: Blob): Promise<string> {
  const jpeg = await compressImage(file);
  const sha = await sha256Hex(jpeg);
  const d = await db();
  if (!(await d.get("attachments", sha))) {
    await d.put("attachments", { sha256: sha, blob: jpeg, type: "image/jpeg", uploaded: false, created_at: Date.now() });
  }
  return sha;
}

const urls = new Map<string, string>();
/** An object URL for a photo: from this phone if we have it, else fetched once and kept. */
export async function photoUrl(sha: string): Promise<string | undefined> {
  const known = urls.get(sha);
  if (known) return known;
  const d = await db();
  let blob = (await d.get("attachments", sha))?.blob;
  if (!blob) {
    try {
      blob = await requestBlob(`/api/attachments/${sha}`);
      await d.put("attachments", { sha256: sha, blob, type: blob.type, uploaded: true, created_at: Date.now() });
    } catch {
      return undefined;
    }
  }
  const url = URL.createObjectURL(blob);
  urls.set(sha, url);
  return url;
}

export interface Geo {
  lat: number;
  lng: number;
  accuracy_m: number;
}

export function captureGps(): Promise<Geo> {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("unsupported"));
    navigator.geolocation.getCurrentPosition(
      (p) =>
        resolve({
          lat: Math.round(p.coords.latitude * 1e6) / 1e6,
          lng: Math.round(p.coords.longitude * 1e6) / 1e6,
          accuracy_m: Math.round(p.coords.accuracy),
        }),
      (e) => reject(new Error(e.message || "denied")),
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
    );
  });
}
