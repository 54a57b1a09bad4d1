/// <reference lib="webworker" />
/**
 * The service worker: precaches the app shell so the app cold-starts offline, shows push
 * notifications, opens the right screen on a click, keeps the push subscription alive and runs
 * the sync cycle for Background Sync. It never caches /api responses.
 *
 * A new build is a new worker that waits until the page asks it to take over (the user accepts
 * "new version, reload"), so nobody is switched mid-edit nor kept on an old version forever.
 */
import { request } from "./api/client";
import { base64UrlToBytes, vapidPublicKey } from "./api/vapid";
import { runSyncCycle } from "./sync/engine";
import { withLock } from "./sync/locks";
import { useDatabaseName } from "./storage/db";
import { activeSession, pushOwner, userDatabaseName } from "./storage/tablet";
import { adoptLegacyDatabase } from "./storage/legacy";

declare const self: ServiceWorkerGlobalScope;

const VERSION = "__BUILD_VERSION__";
// Replaced at build time by vite.sw.config.ts with the built files.
const PRECACHE = "__PRECACHE_URLS__" as unknown as string[];
const CACHE = `doorstep-shell-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(Array.isArray(PRECACHE) ? PRECACHE : ["/"])));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("doorstep-shell-") && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") void self.skipWaiting();
  if (event.data?.type === "version") event.source?.postMessage({ type: "version", version: VERSION });
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  // The API and health checks always go to the network: stale data must come from IndexedDB,
  // where the sync engine knows what it is, never from an HTTP cache.
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/health") || url.pathname === "/schema") return;
  if (req.mode === "navigate") {
    // Every client route is the same shell (hash routes, and paths the server falls back on).
    event.respondWith(
      (async () => (await caches.match("/", { cacheName: CACHE })) ?? fetch(req))(),
    );
    return;
  }
  event.respondWith(
    (async () => (await caches.match(req, { cacheName: CACHE, ignoreSearch: true })) ?? fetch(req))(),
  );
});

interface PushPayload {
  type?: string;
  title?: string;
  body?: string;
  url?: string;
  id?: string;
}

async function askClientsToSync(): Promise<boolean> {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const w of windows) w.postMessage({ type: "sync-request" });
  return windows.length > 0;
}

async function syncHere(): Promise<void> {
  try {
    // A push may wake the new worker before any page ran: adopt the old database first.
    await adoptLegacyDatabase();
    // Only the unlocked person's outbox: a locked or absent person has no tokens in the clear.
    const active = await activeSession();
    if (!active) return;
    useDatabaseName(userDatabaseName(active.user_id));
    await withLock("doorstep-sync", runSyncCycle);
  } catch {
    /* offline or logged out: the app syncs when opened */
  }
}

self.addEventListener("push", (event) => {
  let payload: PushPayload = {};
  try {
    payload = (event.data?.json() as PushPayload) ?? {};
  } catch {
    payload = { body: event.data?.text() };
  }
  // Always show a notification (browsers penalise silent pushes); the payload holds no personal
  // data, the details come with the pull that follows.
  // Stamped with its recipient now: by the time it is tapped someone else may be at the tablet.
  // Without a recorded owner (a subscription made by an older version), the person at the tablet.
  const shown = pushOwner()
    .then(async (owner) => owner ?? (await activeSession())?.user_id)
    .catch(() => undefined)
    .then((owner) =>
      self.registration.showNotification(payload.title || "家门口", {
        body: payload.body || "有新的消息",
        icon: "/icon-192.png",
        badge: "/icon-192.png",
        tag: payload.id || payload.type || "doorstep",
        data: { url: payload.url || "/#/inbox", id: payload.id, type: payload.type, owner },
      }),
    );
  event.waitUntil(
    Promise.all([shown, askClientsToSync().then((any) => (any ? undefined : syncHere()))]),
  );
});

/** Push payload urls may be "/#/orders/<id>", "#/orders/<id>" or "/orders/<id>": all become hash routes. */
function appUrl(url: string | undefined): string {
  const raw = url || "/#/inbox";
  const u = new URL(raw, self.location.origin);
  if (u.origin !== self.location.origin) return "/#/inbox";
  if (u.hash) return `/${u.hash}`;
  return `/#${u.pathname}${u.search}`;
}

/** `/?ack=<notification id>#/...`: the page reports the opened notice when it starts (main.ts). */
function ackUrl(target: string, id: string): string {
  const hash = target.indexOf("#");
  return `/?ack=${encodeURIComponent(id)}${hash >= 0 ? target.slice(hash) : ""}`;
}

/** `#/for/<owner>/<target hash>`: handled by the page before any person's screen (main.ts). */
function forOwnerUrl(owner: string, target: string): string {
  return `/#/for/${encodeURIComponent(owner)}/${encodeURIComponent(target.slice(target.indexOf("#")))}`;
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data as { url?: string; owner?: string; id?: string } | null;
  event.waitUntil(
    (async () => {
      let target = appUrl(data?.url);
      // Another person's message: never open it in the active person's app (their screen would
      // say "not found", or worse). The page names the owner and offers their unlock screen.
      const active = await activeSession().catch(() => undefined);
      if (data?.owner && data.owner !== active?.user_id) target = forOwnerUrl(data.owner, target);
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const w = windows.find((c) => c.visibilityState === "visible") ?? windows[0];
      if (w) {
        // Navigate first: focusing may be refused (no user activation), the screen change must not.
        // `ack`: the page tells the server this notice was opened (no SMS needed behind it).
        w.postMessage({ type: "navigate", url: target, ack: data?.id });
        await w.focus().catch(() => undefined);
        return;
      }
      await self.clients.openWindow(data?.id ? ackUrl(target, data.id) : target);
    })(),
  );
});

self.addEventListener("pushsubscriptionchange", (event) => {
  const ev = event as ExtendableEvent & { oldSubscription?: PushSubscription | null };
  ev.waitUntil(
    (async () => {
      try {
        const key =
          ev.oldSubscription?.options.applicationServerKey ??
          base64UrlToBytes(await vapidPublicKey());
        const sub = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        await request("/api/push/subscriptions", { method: "POST", json: sub.toJSON() });
      } catch {
        /* the app re-subscribes at its next start */
      }
    })(),
  );
});

self.addEventListener("sync", (event) => {
  const ev = event as ExtendableEvent & { tag?: string };
  if (ev.tag === "doorstep-sync") ev.waitUntil(syncHere());
});
