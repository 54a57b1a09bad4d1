/**
 * Calls of the command view (COMMAND_API.md). Online only: these figures are computed on the
 * server from lifecycle facts, never on a phone, so a screen without network says so instead of
 * showing stale or partial numbers.
 */
import { request, requestBlob } from "../api/client";
import { lang } from "../ui/i18n";
import type { CommandStats } from "./chartdata";

/** Answers with words in them (titles of warnings, the case history) follow the app's language switch. */
function languageHeaders(): Record<string, string> {
  return { "Accept-Language": lang() === "en" ? "en" : "zh-CN" };
}

export interface GeoFeature {
  type: "Feature";
  geometry: { type: string; coordinates: unknown } | null;
  properties: Record<string, unknown>;
  id?: string | number;
}

export interface FeatureCollection {
  type: "FeatureCollection";
  features: GeoFeature[];
  /** foreign members some answers carry (the base map's tile config, the demo marker) */
  [k: string]: unknown;
}

function qs(params: Record<string, string | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  return q.toString();
}

export function getStats(orgUnitId: string, from: string, to: string): Promise<CommandStats> {
  return request<CommandStats>(`/api/command/stats?${qs({ org_unit_id: orgUnitId, from, to })}`);
}

export interface MapQuery {
  org_unit_id: string;
  levels?: string;
  status?: string;
  service_type?: string;
  from?: string;
  to?: string;
}

export function getMap(q: MapQuery): Promise<FeatureCollection> {
  return request<FeatureCollection>(`/api/command/map?${qs({ ...q })}`, { headers: languageHeaders() });
}

/** The base map (DOORSTEP_MAP_TILE_URL, DOORSTEP_MAP_CRS); no tile URL: outlines only. */
export interface MapConfigAnswer {
  tile_url: string | null;
  crs: string | null;
}

export function getMapConfig(): Promise<MapConfigAnswer> {
  return request<MapConfigAnswer>("/api/command/map-config");
}

export function getBoundaries(orgUnitId: string): Promise<FeatureCollection> {
  return request<FeatureCollection>(`/api/command/boundaries?${qs({ org_unit_id: orgUnitId })}`);
}

/** One step of a case history, already in words in the requested language (server/timeline). */
export interface TimelineEvent {
  at: string;
  who: string | null;
  /** the person's role as a word; `role_code` the enum value */
  role: string | null;
  role_code?: string | null;
  /** a sentence: "状态由「已登记」改为「调解中」", "raised a red warning" … */
  what: string;
  from: unknown;
  to: unknown;
  field?: string | null;
}

export interface Timeline {
  events: TimelineEvent[];
  truncated?: boolean;
}

/** The history is written by the server in the app's language, asked for with Accept-Language. */
export function getTimeline(collection: string, id: string, language: "zh" | "en"): Promise<Timeline> {
  return request<Timeline>(`/api/records/${encodeURIComponent(collection)}/${encodeURIComponent(id)}/timeline`, {
    headers: { ...languageHeaders(), "Accept-Language": language === "en" ? "en" : "zh-CN" },
  });
}

/** A stored report still being built (HTTP 202 of the monthly workbook). */
export interface BuildProgress {
  status: "building";
  rows_written: number;
  rows_total: number;
}

/**
 * Saves a file the browser downloads (the monthly .xlsx, a CSV), fetched with the token.  A
 * district month's workbook is built once on the server: while it is, the answer is a 202 with
 * the build's progress, told to `onProgress`, and the download asks again until it is ready.
 */
export async function download(path: string, filename: string, onProgress?: (p: BuildProgress) => void): Promise<void> {
  let blob = await requestBlob(path);
  while (blob.type.startsWith("application/json")) {
    const body = JSON.parse(await blob.text()) as BuildProgress;
    if (body.status !== "building") break;
    onProgress?.(body);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    blob = await requestBlob(path);
  }
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function monthlyReportPath(orgUnitId: string, month: string): string {
  return `/api/command/reports/monthly.xlsx?${qs({ org_unit_id: orgUnitId, month })}`;
}

export function csvPath(collection: string, orgUnitId: string, from: string, to: string): string {
  return `/api/command/export/${encodeURIComponent(collection)}.csv?${qs({ org_unit_id: orgUnitId, from, to })}`;
}

/** One record behind a figure, as the drill-down lists it (no party names or phones). */
export interface DrillRecord {
  collection: string;
  id: string;
  title?: string | null;
  summary?: string | null;
  message?: string | null;
  status?: string | null;
  risk_level?: string | null;
  level?: string | null;
  community_id?: string | null;
  org_unit_id?: string | null;
  department_id?: string | null;
  created_at?: string | null;
}

export interface DrillAnswer {
  figure: string;
  value: string | null;
  collection: string;
  count: number;
  limit: number;
  offset: number;
  items: DrillRecord[];
}

/** GET /api/command/records: the records behind one figure; `count` equals the figure. */
export function getDrill(q: { figure: string; value?: string; org_unit_id: string; from: string; to: string; offset?: number }): Promise<DrillAnswer> {
  return request<DrillAnswer>(`/api/command/records?${qs({ ...q, offset: q.offset ? String(q.offset) : undefined, limit: "200" })}`, { headers: languageHeaders() });
}

/** An open dispatch order past its deadline (督办), as GET /api/command/overdue lists it. */
export interface OverdueOrder {
  id: string;
  summary?: string | null;
  community_id?: string | null;
  department_id?: string | null;
  status: string;
  arrive_by?: string | null;
  resolve_by?: string | null;
  escalation_level?: string | null;
  /** where "escalate" would send it; null at the top (district) */
  next_level?: string | null;
  last_chased_at?: string | null;
}

export function getOverdue(orgUnitId: string): Promise<{ count: number; items: OverdueOrder[] }> {
  return request<{ count: number; items: OverdueOrder[] }>(`/api/command/overdue?${qs({ org_unit_id: orgUnitId, limit: "500" })}`);
}

/** 催办 (remind the department again; refused 409 within 10 minutes of the last) or 升级督办. */
export function superviseOrder(id: string, action: "chase" | "escalate"): Promise<Record<string, unknown>> {
  return request<Record<string, unknown>>(`/api/command/orders/${encodeURIComponent(id)}/${action}`, { method: "POST", json: {} });
}
