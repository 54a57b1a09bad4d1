/** The residents' door's calls: no account, so no token (`auth: false`). */
import { request } from "../api/client";

export interface AppealBody {
  station_code?: string;
  community_code?: string;
  source: "qr" | "app";
  service_type: string;
  title: string;
  description: string;
  contact_phone?: string;
  location?: { lat: number; lng: number; accuracy_m?: number };
  photos: string[];
  client_id: string;
  website: string;
}

export interface AppealStatus {
  status: string;
  service_type: string;
  received_at: string;
  timeline: { at: string; what: string; code: string }[];
  can_rate: boolean;
  triage: string;
  satisfaction: string | null;
  reject_reason: string | null;
}

export const submitAppeal = (body: AppealBody) =>
  request<{ tracking_code: string; status_url: string; page_url: string }>("/api/public/appeals", { method: "POST", json: body, auth: false });

export const uploadPhoto = (sha: string, blob: Blob) =>
  request<unknown>(`/api/public/attachments/${sha}`, { method: "PUT", body: blob, contentType: blob.type || "image/jpeg", auth: false });

export const appealStatus = (code: string) =>
  request<AppealStatus>(`/api/public/appeals/${encodeURIComponent(code)}`, { auth: false });

export const rateAppeal = (code: string, satisfaction: string, comment: string) =>
  request<{ satisfaction: string; status: string }>(`/api/public/appeals/${encodeURIComponent(code)}/rating`, {
    method: "POST", json: { satisfaction, comment }, auth: false,
  });

export const subscribeAppeal = (code: string, subscription: PushSubscriptionJSON) =>
  request<{ subscribed: boolean }>(`/api/public/appeals/${encodeURIComponent(code)}/push`, {
    method: "POST", json: subscription, auth: false,
  });

export const vapidKey = () => request<{ public_key: string }>("/api/push/vapid-public-key", { auth: false });

export interface Figures { received: number; resolved: number; resolution_rate: number | null; on_time_rate: number | null; satisfied_rate: number | null }
export interface Overview extends Figures {
  name: string;
  months: (Figures & { month: string })[];
  total: Figures;
  children: (Figures & { org_unit_id: string; name: string })[];
}
export const overview = (unit?: string) =>
  request<Overview>(`/api/public/overview${unit ? `?org_unit_id=${encodeURIComponent(unit)}` : ""}`, { auth: false });

export interface ServicePoint {
  kind: string; kind_name: string; id: string; code: string; name: string; address: string;
  lat: number; lng: number; hours: string; distance_m: number; community_id: string | null;
}
export const nearby = (q: { lat?: number; lng?: number; org_unit_id?: string; radius_m?: number }) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  return request<{ lat: number; lng: number; radius_m: number; points: ServicePoint[] }>(`/api/public/nearby?${params}`, { auth: false });
};

export interface Shift { id: string; place: string; leader_name: string; leader_title: string; starts_at: string; ends_at: string; slots_left: number }
export const dutyRoster = () => request<Shift[]>("/api/public/duty", { auth: false });
export const askSlot = (shift: string, topic: string, contact_phone: string) =>
  request<{ request_id: string }>(`/api/public/duty/${shift}/requests`, { method: "POST", json: { topic, contact_phone, website: "" }, auth: false });
