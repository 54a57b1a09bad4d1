/** The notify endpoints: this user's language and work phone, opening a notice, reachability. */
import { request } from "./client";

export interface Contact {
  language: "zh" | "en";
  phone: string | null;
  phone_confirmed: boolean;
  push_devices: number;
}

export interface ReachRow {
  user_id: string;
  username: string;
  display_name: string;
  role: string;
  org_unit_id: string | null;
  push_devices: number;
  last_push_success_at: string | null;
  phone: string | null;
  phone_confirmed: boolean;
  last_sms_receipt_at: string | null;
  push: "ok" | "untested" | "failed" | "none";
  sms: "ok" | "untested" | "failed" | "none";
  reachable: boolean;
}

export function myContact(): Promise<Contact> {
  return request<Contact>("/api/notify/me");
}

/** The language switch, told to the server so pushes and SMS come in it too. */
export function setServerLanguage(language: "zh" | "en"): Promise<Contact> {
  return request<Contact>("/api/notify/me/language", { method: "PUT", json: { language } });
}

export function confirmPhone(phone: string): Promise<Contact> {
  return request<Contact>("/api/notify/me/phone/confirm", { method: "POST", json: { phone } });
}

/** The person opened this notice: the SMS waiting behind its push is not needed. Best effort. */
export async function ackNotification(id: string): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return;
  try {
    await request("/api/notify/acks", { method: "POST", json: { notification_id: id } });
  } catch {
    /* offline: the read flag syncs later, and the SMS goes if it must */
  }
}

export function reachability(): Promise<ReachRow[]> {
  return request<ReachRow[]>("/api/admin/reachability");
}

export function setPhone(userId: string, phone: string | null): Promise<Contact> {
  return request<Contact>(`/api/admin/users/${userId}/phone`, { method: "PUT", json: { phone } });
}

/** Where an SMS's short code leads (404 unless the SMS was sent to this user). */
export function openCode(code: string): Promise<{ code: string; url: string }> {
  return request<{ code: string; url: string }>(`/api/notify/codes/${encodeURIComponent(code)}`);
}
