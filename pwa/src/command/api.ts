/**
 * Calls of the command view (COMMAND_API.md). Online only: these figures are computed on the
 * server from lifecycle facts, never on a phone, so a screen without network says so instead of
 * showing stale or partial numbers.
 */
import { request, requestBlob } from "../api/client";
import type { CommandStats } from "./chartdata";

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
  return request<FeatureCollection>(`/api/command/map?${qs({ ...q })}`);
}

export function getBoundaries(orgUnitId: string): Promise<FeatureCollection> {
  return request<FeatureCollection>(`/api/command/boundaries?${qs({ org_unit_id: orgUnitId })}`);
}

export interface TimelineEvent {
  at: string;
  who: string | null;
  role: string | null;
  what: string;
  from: unknown;
  to: unknown;
  field?: string | null;
}

export function getTimeline(collection: string, id: string): Promise<{ events: TimelineEvent[] }> {
  return request<{ events: TimelineEvent[] }>(`/api/records/${encodeURIComponent(collection)}/${encodeURIComponent(id)}/timeline`);
}

/** Saves a file the browser downloads (the monthly .xlsx, a CSV), fetched with the token. */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await requestBlob(path);
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
  status?: string | null;
  risk_level?: string | null;
  level?: string | null;
  community_id?: string | null;
  at?: string | null;
}

export interface DrillAnswer {
  figure: string;
  records: DrillRecord[];
  total?: number;
}

export function getDrill(figure: string, orgUnitId: string, from: string, to: string, extra: Record<string, string> = {}): Promise<DrillAnswer> {
  return request<DrillAnswer>(`/api/command/stats/records?${qs({ figure, org_unit_id: orgUnitId, from, to, ...extra })}`);
}

/** An order under supervision (督办): past its deadline and not done. */
export interface OverdueOrder {
  id: string;
  title?: string | null;
  summary?: string | null;
  community_id?: string | null;
  department_id?: string | null;
  status: string;
  arrive_by?: string | null;
  resolve_by?: string | null;
  overdue_since?: string | null;
  escalation_level?: string | null;
  chased_at?: string | null;
  chase_count?: number;
}

export function getOverdue(orgUnitId: string): Promise<{ orders: OverdueOrder[] }> {
  return request<{ orders: OverdueOrder[] }>(`/api/command/overdue?${qs({ org_unit_id: orgUnitId })}`);
}

export function superviseOrder(id: string, action: "chase" | "escalate", note?: string): Promise<unknown> {
  return request(`/api/command/overdue/${encodeURIComponent(id)}/${action}`, { method: "POST", json: note ? { note } : {} });
}
