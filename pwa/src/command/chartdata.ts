/**
 * Shapes /api/command/stats answers into what the screens draw: the figure tiles (each with the
 * drill-down it opens), the month windows of a trend, and uPlot's column arrays. Pure, so the
 * numbers on screen can be checked against the API without a browser. Months are Shanghai
 * calendar months (UTC+8, no daylight saving), as the monthly report counts them.
 */

export type Rate = number | null;

export interface CommandStats {
  org_unit_id: string;
  from: string;
  to: string;
  appeals: { received: number; by_service_type: Record<string, number>; by_channel: Record<string, number>; by_category: Record<string, number>; by_risk_level: Record<string, number> };
  resolution: { resolved: number; resolution_rate: Rate; median_hours_to_first_action: number | null; median_hours_to_resolve: number | null };
  orders: {
    issued: number; arrived: number; arrived_on_time: number; arrived_flagged: number; on_time_rate: Rate; leader_level_met_rate: Rate;
    overdue: number; escalated_to_street: number; escalated_to_district: number;
    by_department: DepartmentRow[];
  };
  warnings: { raised: Record<"blue" | "yellow" | "orange" | "red", number>; median_minutes_to_ack: { red: number | null } };
  satisfaction: { rated: number; satisfied: number; basically_satisfied: number; unsatisfied: number; satisfied_rate: Rate };
  by_child: ChildRow[];
}

export interface DepartmentRow {
  department_id: string; name: string; issued: number; on_time_rate: Rate;
  mean_community_rating: number | null; mean_department_rating: number | null;
  // Fields the contract allows the server to add; shown when present.
  leader_level_met_rate?: Rate; overdue?: number; arrived_on_time?: number;
}

export interface ChildRow { org_unit_id: string; name: string; received: number; resolution_rate: Rate; on_time_rate: Rate }

const SHANGHAI_MS = 8 * 3600_000;

/** "YYYY-MM" of the Shanghai month holding `ms`. */
export function monthOf(ms: number): string {
  return new Date(ms + SHANGHAI_MS).toISOString().slice(0, 7);
}

/** The month's [from, to) as UTC RFC 3339 instants (Shanghai midnight of the 1st). */
export function monthWindow(month: string): { from: string; to: string } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) throw new RangeError(`not a month: ${month}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const start = Date.UTC(y, mo - 1, 1) - SHANGHAI_MS;
  const end = Date.UTC(y, mo, 1) - SHANGHAI_MS;
  return { from: new Date(start).toISOString().replace(".000Z", "Z"), to: new Date(end).toISOString().replace(".000Z", "Z") };
}

/** The `n` months ending with `month`, oldest first. */
export function lastMonths(month: string, n: number): string[] {
  const [y, mo] = month.split("-").map(Number) as [number, number];
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(y, mo - 1 - (n - 1 - i), 1));
    return d.toISOString().slice(0, 7);
  });
}

/** "83.3%", or "—" when the rate has no denominator (null). */
export function rateText(r: Rate | undefined): string {
  if (r === null || r === undefined || Number.isNaN(r)) return "—";
  return `${(Math.round(r * 1000) / 10).toFixed(1)}%`;
}

export function numberText(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  return digits ? n.toFixed(digits) : String(n);
}

/**
 * One figure tile: `key` is the i18n label and the figure's name in the drill-down
 * (`path` in the stats answer), `value` the raw number from the API.
 */
export interface Figure {
  key: string;
  path: string;
  value: number | null;
  text: string;
  kind: "count" | "rate" | "hours" | "minutes";
  level?: string;
  /** the drill-down that lists this figure's records (a rate's numerator, a median's population) */
  drill: { figure: string; value?: string };
}

/** The drill-down of a figure path: counts are their own, rates and medians list what they are made of. */
const DRILL: Record<string, { figure: string; value?: string }> = {
  "resolution.resolution_rate": { figure: "resolution.resolved" },
  "resolution.median_hours_to_first_action": { figure: "appeals.received" },
  "resolution.median_hours_to_resolve": { figure: "resolution.resolved" },
  "orders.on_time_rate": { figure: "orders.arrived_on_time" },
  "orders.leader_level_met_rate": { figure: "orders.leader_level_met" },
  "warnings.median_minutes_to_ack.red": { figure: "warnings.raised", value: "red" },
  "satisfaction.satisfied_rate": { figure: "satisfaction.satisfied" },
};

export function drillOf(path: string): { figure: string; value?: string } {
  const known = DRILL[path];
  if (known) return known;
  const m = /^warnings\.raised\.(\w+)$/.exec(path);
  return m ? { figure: "warnings.raised", value: m[1] } : { figure: path };
}

function fig(key: string, path: string, value: number | null | undefined, kind: Figure["kind"], level?: string): Figure {
  const v = value ?? null;
  const text = kind === "rate" ? rateText(v) : kind === "count" ? numberText(v) : numberText(v, 1);
  return { key, path, value: v, text, kind, level, drill: drillOf(path) };
}

/** The figures of a stats answer, in the order the screen shows them. */
export function figures(s: CommandStats): Figure[] {
  return [
    fig("fig_received", "appeals.received", s.appeals.received, "count"),
    fig("fig_resolved", "resolution.resolved", s.resolution.resolved, "count"),
    fig("fig_resolution_rate", "resolution.resolution_rate", s.resolution.resolution_rate, "rate"),
    fig("fig_hours_first_action", "resolution.median_hours_to_first_action", s.resolution.median_hours_to_first_action, "hours"),
    fig("fig_hours_resolve", "resolution.median_hours_to_resolve", s.resolution.median_hours_to_resolve, "hours"),
    fig("fig_orders_issued", "orders.issued", s.orders.issued, "count"),
    fig("fig_arrived_on_time", "orders.arrived_on_time", s.orders.arrived_on_time, "count"),
    fig("fig_arrived_flagged", "orders.arrived_flagged", s.orders.arrived_flagged, "count"),
    fig("fig_on_time_rate", "orders.on_time_rate", s.orders.on_time_rate, "rate"),
    fig("fig_leader_level_met_rate", "orders.leader_level_met_rate", s.orders.leader_level_met_rate, "rate"),
    fig("fig_overdue", "orders.overdue", s.orders.overdue, "count"),
    fig("fig_escalated_street", "orders.escalated_to_street", s.orders.escalated_to_street, "count"),
    fig("fig_escalated_district", "orders.escalated_to_district", s.orders.escalated_to_district, "count"),
    ...(["red", "orange", "yellow", "blue"] as const).map((l) => fig(`fig_warnings_${l}`, `warnings.raised.${l}`, s.warnings.raised[l], "count", l)),
    fig("fig_minutes_ack_red", "warnings.median_minutes_to_ack.red", s.warnings.median_minutes_to_ack.red, "minutes", "red"),
    fig("fig_rated", "satisfaction.rated", s.satisfaction.rated, "count"),
    fig("fig_satisfied_rate", "satisfaction.satisfied_rate", s.satisfaction.satisfied_rate, "rate"),
    fig("fig_unsatisfied", "satisfaction.unsatisfied", s.satisfaction.unsatisfied, "count"),
  ];
}

/** uPlot's columns: x = 0..n-1 (category index), then one array per series. */
export type Columns = [number[], ...(number | null)[][]];

export interface Trend {
  months: string[];
  columns: Columns; // x, received, resolved, resolution rate (%), on-time rate (%)
}

const pct = (r: Rate | undefined): number | null => (r === null || r === undefined ? null : Math.round(r * 1000) / 10);

/** Month-by-month series from one stats answer per month (same order as `months`). */
export function trend(months: string[], perMonth: CommandStats[]): Trend {
  if (months.length !== perMonth.length) throw new RangeError("one stats answer per month");
  return {
    months,
    columns: [
      months.map((_, i) => i),
      perMonth.map((s) => s.appeals.received),
      perMonth.map((s) => s.resolution.resolved),
      perMonth.map((s) => pct(s.resolution.resolution_rate)),
      perMonth.map((s) => pct(s.orders.on_time_rate)),
    ],
  };
}

export interface Bars {
  labels: string[];
  ids: string[];
  columns: Columns;
}

/** Child units: appeals received (bars) and resolution / on-time rates in percent. */
export function childBars(rows: ChildRow[]): Bars {
  return {
    labels: rows.map((r) => r.name),
    ids: rows.map((r) => r.org_unit_id),
    columns: [rows.map((_, i) => i), rows.map((r) => r.received), rows.map((r) => pct(r.resolution_rate)), rows.map((r) => pct(r.on_time_rate))],
  };
}

/** Departments: orders issued (bars) and on-time rate in percent, most orders first. */
export function departmentBars(rows: DepartmentRow[]): Bars {
  const sorted = [...rows].sort((a, b) => b.issued - a.issued || a.name.localeCompare(b.name));
  return {
    labels: sorted.map((r) => r.name),
    ids: sorted.map((r) => r.department_id),
    columns: [sorted.map((_, i) => i), sorted.map((r) => r.issued), sorted.map((r) => pct(r.on_time_rate))],
  };
}

/** A label for a "YYYY-MM" month on an axis: "11月" / "Nov", with the year when it turns. */
export function monthLabel(month: string, lang: "zh" | "en", withYear = false): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  if (lang === "zh") return withYear ? `${y}年${m}月` : `${m}月`;
  const name = new Date(Date.UTC(y, m - 1, 1)).toLocaleString("en-GB", { month: "short", timeZone: "UTC" });
  return withYear ? `${name} ${y}` : name;
}
