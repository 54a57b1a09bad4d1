/**
 * 公开数据 (一体化公开): a unit's last 12 months — received, resolved, resolution rate, on-time
 * rate, satisfied rate — by month and per child unit; a child's name opens its own figures.
 * Counts and rates only; the server computes them exactly as the supervisors' statistics.
 */
import { h } from "../../dom";
import { t } from "../../i18n";
import { overview, type Figures } from "../../../public/api";
import { card, percent, problem } from "./common";

const COLUMNS: [keyof Figures, string, boolean][] = [
  ["received", "pub_received", false],
  ["resolved", "pub_resolved", false],
  ["resolution_rate", "pub_resolution_rate", true],
  ["on_time_rate", "pub_on_time_rate", true],
  ["satisfied_rate", "pub_satisfied_rate", true],
];

function cells(f: Figures): HTMLElement[] {
  return COLUMNS.map(([key, , rate]) => h("td", { "data-figure": key }, rate ? percent(f[key]) : String(f[key] ?? 0)));
}

function head(first: string): HTMLElement {
  return h("thead", null, h("tr", null, h("th", null, first), COLUMNS.map(([, label]) => h("th", null, t(label)))));
}

export async function figuresScreen(_params: string[], query: URLSearchParams): Promise<Node> {
  const unit = query.get("unit") ?? undefined;
  let data;
  try {
    data = await overview(unit);
  } catch (e) {
    return card(h("p", { class: "error" }, problem(e)));
  }
  const peak = Math.max(1, ...data.months.map((m) => m.received));
  return h("div", { class: "stack", "data-testid": "public-figures" },
    card(
      h("h2", null, data.name),
      h("div", { class: "bars", "aria-hidden": "true" }, data.months.map((m) =>
        h("div", { class: "bar", title: `${m.month} ${m.received}`, style: `height:${Math.round((m.received / peak) * 100)}%` }))),
      h("div", { class: "table-wrap" }, h("table", { class: "figures" }, head(t("pub_month")),
        h("tbody", null, data.months.map((m) => h("tr", { "data-month": m.month }, h("td", null, m.month), cells(m)))))),
    ),
    data.children.length ? card(
      h("h2", null, t("pub_by_unit")),
      h("div", { class: "table-wrap" }, h("table", { class: "figures" }, head(t("pub_unit")),
        h("tbody", null, data.children.map((c) => h("tr", { "data-unit": c.org_unit_id },
          h("td", null, h("a", { href: `#/public/figures?unit=${c.org_unit_id}` }, c.name)), cells(c)))))),
    ) : null,
  );
}
