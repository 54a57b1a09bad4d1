/** Web Push subscription: VAPID key from the server, subscription bound to this device. */
import { request } from "./client";
import { base64UrlToBytes, vapidPublicKey } from "./vapid";
import { activeSession, setPushOwner } from "../storage/tablet";

export { base64UrlToBytes, vapidPublicKey };

export function pushSupported(): boolean {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator && "PushManager" in globalThis && "Notification" in globalThis;
}

/** Must run from a tap (iOS requires a user gesture for the permission prompt). */
export async function subscribePush(): Promise<PushSubscription> {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("denied");
  const reg = await navigator.serviceWorker.ready;
  const key = base64UrlToBytes(await vapidPublicKey());
  let sub = await reg.pushManager.getSubscription();
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await request("/api/push/subscriptions", { method: "POST", json: sub.toJSON() });
  await setPushOwner((await activeSession())?.user_id);
  return sub;
}

export async function unsubscribePush(): Promise<void> {
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription();
  try {
    await request("/api/push/subscriptions", { method: "DELETE", json: sub ? { endpoint: sub.endpoint } : {} });
  } finally {
    await sub?.unsubscribe();
    await setPushOwner(undefined);
  }
}

/** At app start: a subscription the browser still holds is re-registered (it may have rotated). */
export async function refreshPushSubscription(): Promise<void> {
  if (!pushSupported() || Notification.permission !== "granted") return;
  const reg = await navigator.serviceWorker.getRegistration();
  const sub = await reg?.pushManager.getSubscription();
  if (!sub) return;
  await request("/api/push/subscriptions", { method: "POST", json: sub.toJSON() });
  await setPushOwner((await activeSession())?.user_id);
}

export async function isSubscribed(): Promise<boolean> {
  if (!pushSupported()) return false;
  const reg = await navigator.serviceWorker.getRegistration();
  return Boolean(await reg?.pushManager.getSubscription());
}
