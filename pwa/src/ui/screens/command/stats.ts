/**
 * Statistics for community, street and district admins: the month's figures (each a link to the
 * records behind it), the trend by month, by child unit and by department (uPlot), the monthly
 * report download and CSV exports; the department scorecard (双向考核); the drill-down list.
 * Every number is the server's (/api/command/stats, computed in SQL from lifecycle facts).
 * Loaded on demand with uPlot.
 */
import { h, toast } from "../../dom";
import { enumLabel, errorText, lang, t } from "../../i18n";
import { formatDateTime } from "../../format";
import { navigate, type Ctx, type Screen } from "../../app";
import { unitName, unitsOfKind } from "../../directory";
import { emptyState, section } from "../../widgets";
import {
  childBars, departmentBars, figures, lastMonths, monthLabel, monthOf, monthWindow, numberText, rateText, trend,
  type CommandStats, type Figure,
} from "../../../command/chartdata";
import { csvPath, download, getDrill, getStats, monthlyReportPath, type DrillRecord } from "../../../command/api";
import { barChart } from "./charts";

const TREND_MONTHS = 6;

interface Scope {
  orgUnitId: string;
  month: string;
  from: string;
  to: string;
}

function scopeOf(ctx: Ctx): Scope {
  const month = /^\d{4}-\d{2}$/.test(ctx.query.get("month") ?? "") ? ctx.query.get("month")! : monthOf(Date.now());
  return { orgUnitId: ctx.query.get("org_unit_id") || ctx.user.org_unit_id, month, ...monthWindow(month) };
}

function href(path: string, params: Record<string, string>): string {
  return `#${path}?${new URLSearchParams(params).toString()}`;
}

/** The drill-down of a figure (`value`: a department for order figures, a level for warnings). */
function drillHref(s: Scope, drill: { figure: string; value?: string }, extra: Record<string, string> = {}): string {
  return href("/stats/records", { figure: drill.figure, ...(drill.value ? { value: drill.value } : {}), org_unit_id: s.orgUnitId, from: s.from, to: s.to, month: s.month, ...extra });
}

/** Units this person may look at from here: their own, the current one's parents up to theirs, its children. */
function unitOptions(ctx: Ctx, current: string, children: { org_unit_id: string; name: string }[]): HTMLSelectElement {
  const ids = new Map<string, string>();
  ids.set(ctx.user.org_unit_id, unitName(ctx.user.org_unit_id));
  const parents = new Map([...["street", "community", "district"]].flatMap((k) => unitsOfKind(k).map((u) => [u.id, u.parent] as const)));
  const chain: string[] = [];
  for (let id: unknown = current; typeof id === "string" && chain.length < 6; id = parents.get(id)) {
    chain.unshift(id);
    if (id === ctx.user.org_unit_id) break;
  }
  for (const id of chain) ids.set(id, unitName(id));
  for (const c of children) ids.set(c.org_unit_id, `　${c.name}`);
  return h("select", { name: "org_unit_id", "aria-label": t("cmd_unit"), onchange: (ev: Event) => {
    const q = new URLSearchParams(location.hash.split("?")[1] ?? "");
    q.set("org_unit_id", (ev.target as HTMLSelectElement).value);
    navigate(`${location.hash.slice(1).split("?")[0]}?${q.toString()}`);
  } }, [...ids].map(([id, name]) => h("option", { value: id, selected: id === current }, name === "—" ? t("cmd_unit") : name)));
}

function monthSelect(current: string): HTMLSelectElement {
  const months = lastMonths(monthOf(Date.now()), 24).reverse();
  if (!months.includes(current)) months.unshift(current);
  return h("select", { name: "month", "aria-label": t("cmd_month"), onchange: (ev: Event) => {
    const q = new URLSearchParams(location.hash.split("?")[1] ?? "");
    q.set("month", (ev.target as HTMLSelectElement).value);
    navigate(`${location.hash.slice(1).split("?")[0]}?${q.toString()}`);
  } }, months.map((m) => h("option", { value: m, selected: m === current }, monthLabel(m, lang(), true))));
}

function downloadButton(label: string, path: string, filename: string, cls = "secondary"): HTMLButtonElement {
  const b: HTMLButtonElement = h("button", { type: "button", class: cls, onclick: async () => {
    b.disabled = true;
    const text = b.textContent;
    b.textContent = t("cmd_downloading");
    try {
      await download(path, filename, (p) => {
        b.textContent = t("cmd_building", { done: p.rows_written.toLocaleString(), total: p.rows_total.toLocaleString() });
      });
    } catch (e) {
      toast(t("cmd_load_failed", { e: errorText((e as { code?: string }).code, String((e as Error)?.message ?? e)) }), "error");
    } finally {
      b.disabled = false;
      b.textContent = text;
    }
  } }, label);
  return b;
}

function figureTile(s: Scope, f: Figure): HTMLElement {
  return h("a", { class: `cmd-figure${f.level ? ` level-${f.level}` : ""}`, href: drillHref(s, f.drill), "data-figure": f.path, "data-value": f.value === null ? "" : String(f.value) },
    h("span", { class: "n" }, f.text), h("span", { class: "label" }, t(f.key)));
}

function toolbar(ctx: Ctx, s: Scope, stats: CommandStats): HTMLElement {
  const unitSlug = (unitName(s.orgUnitId) === "—" ? s.orgUnitId.slice(0, 8) : unitName(s.orgUnitId)).replace(/[\\/:*?"<>|\s]+/g, "_");
  return h("div", { class: "card cmd-toolbar" },
    h("div", { class: "filters" }, unitOptions(ctx, s.orgUnitId, stats.by_child), monthSelect(s.month)),
    h("div", { class: "actions" },
      downloadButton(t("cmd_monthly_report"), monthlyReportPath(s.orgUnitId, s.month), `${unitSlug}-${s.month}.xlsx`, "cmd-monthly"),
      ...(["disputes", "dispatch_orders", "warnings"] as const).map((c) =>
        downloadButton(t("cmd_export_csv", { what: enumLabel("", "collection", c) }), csvPath(c, s.orgUnitId, s.from, s.to), `${c}-${s.month}.csv`, "secondary small"))));
}

export async function statsScreen(ctx: Ctx): Promise<Screen> {
  const s = scopeOf(ctx);
  const months = lastMonths(s.month, TREND_MONTHS);
  const perMonth = await Promise.all(months.map((m) => {
    const w = monthWindow(m);
    return getStats(s.orgUnitId, w.from, w.to);
  }));
  const stats = perMonth[perMonth.length - 1]!;
  const tr = trend(months, perMonth);
  const children = childBars(stats.by_child);
  const departments = departmentBars(stats.orders.by_department);
  const zh = lang();

  const node = h("div", { class: "cmd-stats stack", "data-org-unit": s.orgUnitId, "data-month": s.month },
    toolbar(ctx, s, stats),
    section(`${t("cmd_figures")} · ${monthLabel(s.month, zh, true)}`,
      h("div", { class: "cmd-figures" }, figures(stats).map((f) => figureTile(s, f))),
      h("small", { class: "muted" }, t("cmd_drill_hint"))),
    h("div", { class: "cmd-charts" },
      section(t("cmd_trend"), barChart({
        name: "trend", xLabel: t("cmd_month"), labels: months.map((m) => monthLabel(m, zh)), columns: tr.columns,
        series: [
          { label: t("series_received"), colour: "#0f766e", kind: "bar" },
          { label: t("series_resolved"), colour: "#5eead4", kind: "bar" },
          { label: t("series_resolution_rate"), colour: "#ea580c", kind: "rate" },
          { label: t("series_on_time_rate"), colour: "#2563eb", kind: "rate" },
        ],
        onPick: (i) => navigate(drillHref({ ...s, month: months[i]!, ...monthWindow(months[i]!) }, { figure: "appeals.received" }).slice(1)),
      }),
      h("table", { class: "cmd-table", "data-table": "trend" },
        h("thead", null, h("tr", null, h("th", null, t("cmd_month")), h("th", null, t("series_received")), h("th", null, t("series_resolved")), h("th", null, t("fig_resolution_rate")), h("th", null, t("fig_on_time_rate")))),
        h("tbody", null, months.map((m, i) => {
          const ms = { ...s, month: m, ...monthWindow(m) };
          const st = perMonth[i]!;
          return h("tr", null, h("td", null, monthLabel(m, zh, true)),
            h("td", null, h("a", { href: drillHref(ms, { figure: "appeals.received" }) }, numberText(st.appeals.received))),
            h("td", null, h("a", { href: drillHref(ms, { figure: "resolution.resolved" }) }, numberText(st.resolution.resolved))),
            h("td", null, rateText(st.resolution.resolution_rate)), h("td", null, rateText(st.orders.on_time_rate)));
        })))),
      section(t("cmd_by_child"), stats.by_child.length ? [
        barChart({
          name: "by_child", xLabel: t("cmd_unit_name"), labels: children.labels, columns: children.columns,
          series: [
            { label: t("series_received"), colour: "#0f766e", kind: "bar" },
            { label: t("series_resolution_rate"), colour: "#ea580c", kind: "rate" },
            { label: t("series_on_time_rate"), colour: "#2563eb", kind: "rate" },
          ],
          onPick: (i) => navigate(drillHref(s, { figure: "appeals.received" }, { org_unit_id: children.ids[i]! }).slice(1)),
        }),
        h("table", { class: "cmd-table", "data-table": "by_child" },
          h("thead", null, h("tr", null, h("th", null, t("cmd_unit_name")), h("th", null, t("fig_received")), h("th", null, t("fig_resolution_rate")), h("th", null, t("fig_on_time_rate")), h("th", null, ""))),
          h("tbody", null, stats.by_child.map((c) => h("tr", { "data-unit": c.org_unit_id },
            h("td", null, c.name),
            h("td", null, h("a", { href: drillHref(s, { figure: "appeals.received" }, { org_unit_id: c.org_unit_id }), "data-value": String(c.received) }, numberText(c.received))),
            h("td", null, rateText(c.resolution_rate)), h("td", null, rateText(c.on_time_rate)),
            h("td", null, h("a", { href: href("/stats", { org_unit_id: c.org_unit_id, month: s.month }) }, t("cmd_open_unit"))))))),
      ] : emptyState()),
      section(t("cmd_by_department"), stats.orders.by_department.length ? [
        barChart({
          name: "by_department", xLabel: t("sc_department"), labels: departments.labels, columns: departments.columns,
          series: [{ label: t("series_issued"), colour: "#0f766e", kind: "bar" }, { label: t("series_on_time_rate"), colour: "#2563eb", kind: "rate" }],
          onPick: (i) => navigate(drillHref(s, { figure: "orders.issued", value: departments.ids[i]! }).slice(1)),
        }),
        h("a", { class: "button secondary small", href: href("/scorecard", { org_unit_id: s.orgUnitId, month: s.month }) }, t("cmd_scorecard")),
      ] : emptyState())));
  return { title: `${t("cmd_stats")} · ${unitName(s.orgUnitId) === "—" ? monthLabel(s.month, zh, true) : unitName(s.orgUnitId)}`, node };
}

/** 双向考核: every department's orders of the month, on time, leader level, ratings both ways. */
export async function scorecardScreen(ctx: Ctx): Promise<Screen> {
  const s = scopeOf(ctx);
  const stats = await getStats(s.orgUnitId, s.from, s.to);
  const rows = [...stats.orders.by_department].sort((a, b) => (b.on_time_rate ?? -1) - (a.on_time_rate ?? -1) || b.issued - a.issued);
  const stars = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${v.toFixed(1)} ★`);
  const node = h("div", { class: "cmd-stats stack" },
    h("div", { class: "card cmd-toolbar" }, h("div", { class: "filters" }, unitOptions(ctx, s.orgUnitId, stats.by_child), monthSelect(s.month))),
    section(`${t("cmd_scorecard")} · ${monthLabel(s.month, lang(), true)}`,
      h("p", { class: "muted" }, t("sc_two_way")),
      rows.length ? h("table", { class: "cmd-table cmd-scorecard", "data-table": "scorecard" },
        h("thead", null, h("tr", null, ["sc_department", "sc_issued", "sc_on_time", "sc_leader", "sc_overdue", "sc_community_rating", "sc_department_rating"].map((k) => h("th", null, t(k))))),
        h("tbody", null, rows.map((d) => h("tr", { "data-department": d.department_id },
          h("td", null, d.name),
          h("td", null, h("a", { href: drillHref(s, { figure: "orders.issued", value: d.department_id }) }, numberText(d.issued))),
          h("td", { class: rateClass(d.on_time_rate) }, rateText(d.on_time_rate)),
          h("td", { class: rateClass(d.leader_level_met_rate) }, rateText(d.leader_level_met_rate)),
          h("td", null, d.overdue === undefined ? "—" : h("a", { href: drillHref(s, { figure: "orders.overdue", value: d.department_id }) }, numberText(d.overdue))),
          h("td", null, stars(d.mean_community_rating)),
          h("td", null, stars(d.mean_department_rating)))))) : emptyState()));
  return { title: t("cmd_scorecard"), node };
}

function rateClass(r: number | null | undefined): string {
  if (r === null || r === undefined) return "";
  return r >= 0.9 ? "rate-good" : r >= 0.7 ? "rate-fair" : "rate-poor";
}

const RECORD_ROUTES: Record<string, string> = { disputes: "/disputes/", dispatch_orders: "/orders/", warnings: "/inbox/warnings/" };

function drillItem(r: DrillRecord): HTMLElement {
  const level = String(r.risk_level ?? r.level ?? "none");
  const base = RECORD_ROUTES[r.collection];
  const title = r.title ?? r.summary ?? r.message ?? "—";
  const where = r.collection === "dispatch_orders" ? `${unitName(r.community_id)} → ${unitName(r.department_id)}` : unitName(r.community_id ?? r.org_unit_id);
  return h("li", null, h(base ? "a" : "div", { class: `item risk-edge-${level}`, href: base ? `#${base}${r.id}` : undefined, "data-id": r.id },
    h("div", { class: "item-head" }, h("strong", null, String(title).slice(0, 80)),
      r.status ? h("span", { class: `badge status status-${r.status}` }, enumLabel(r.collection, "status", r.status)) : null),
    h("small", null, [enumLabel("", "collection", r.collection), where, r.created_at ? formatDateTime(r.created_at) : null].filter((x) => x && x !== "—").join(" · "))));
}

/** The label of a drill-down: the figure tile that opens it, else the figure's name. */
function drillLabel(figure: string, value: string | null): string {
  const f = figures(EMPTY_STATS).find((x) => x.drill.figure === figure && (x.drill.value ?? null) === (figure === "warnings.raised" ? value : null));
  const base = f ? t(f.key) : figure === "resolution.unresolved" ? t("fig_received") : figure;
  return figure.startsWith("orders.") && value ? `${base} · ${unitName(value)}` : base;
}

/** The records behind one figure (`#/stats/records?figure=orders.overdue&value=<department>&org_unit_id=…&from=…&to=…`). */
export async function drillScreen(ctx: Ctx): Promise<Screen> {
  const figure = ctx.query.get("figure") ?? "appeals.received";
  const value = ctx.query.get("value");
  const s = scopeOf(ctx);
  const q = { figure, value: value ?? undefined, org_unit_id: s.orgUnitId, from: ctx.query.get("from") ?? s.from, to: ctx.query.get("to") ?? s.to };
  const first = await getDrill(q);
  const what = drillLabel(figure, value);
  const list = h("ul", { class: "list cmd-drill-list" }, first.items.map(drillItem));
  let shown = first.items.length;
  const more: HTMLButtonElement = h("button", { type: "button", class: "secondary", hidden: shown >= first.count, onclick: async () => {
    more.disabled = true;
    try {
      const next = await getDrill({ ...q, offset: shown });
      next.items.forEach((r) => list.appendChild(drillItem(r)));
      shown += next.items.length;
      more.hidden = shown >= next.count || !next.items.length;
    } finally {
      more.disabled = false;
    }
  } }, t("cmd_more"));
  const node = h("div", { class: "stack cmd-drill", "data-figure": figure, "data-count": String(first.count) },
    h("p", { class: "muted" }, `${unitName(s.orgUnitId)} · ${formatDateTime(q.from)} – ${formatDateTime(q.to)}`),
    section(`${what} · ${t("cmd_drill_count", { n: first.count })}`, first.items.length ? list : emptyState(), more));
  return { title: t("cmd_drill_title", { what }), node };
}

/** A stats answer with nothing in it: only used to look up a figure's label by its path. */
const EMPTY_STATS: CommandStats = {
  org_unit_id: "", from: "", to: "",
  appeals: { received: 0, by_service_type: {}, by_channel: {}, by_category: {}, by_risk_level: {} },
  resolution: { resolved: 0, resolution_rate: null, median_hours_to_first_action: null, median_hours_to_resolve: null },
  orders: { issued: 0, arrived: 0, arrived_on_time: 0, arrived_flagged: 0, on_time_rate: null, leader_level_met_rate: null, overdue: 0, escalated_to_street: 0, escalated_to_district: 0, by_department: [] },
  warnings: { raised: { blue: 0, yellow: 0, orange: 0, red: 0 }, median_minutes_to_ack: { red: null } },
  satisfaction: { rated: 0, satisfied: 0, basically_satisfied: 0, unsatisfied: 0, satisfied_rate: null },
  by_child: [],
};
