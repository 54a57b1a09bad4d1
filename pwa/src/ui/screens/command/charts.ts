/**
 * uPlot charts of the statistics screens: category bars (months, units, departments) with an
 * optional rate line on a 0–100 % axis. A click on a bar drills down. The chart is built when its
 * box is in the page and has a width, and follows the box's width after that.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "../../dom";
import type { Columns } from "../../../command/chartdata";

export interface BarSeries {
  label: string;
  colour: string;
  /** "bar" counts on the left axis; "rate" a line in percent on the right axis */
  kind: "bar" | "rate";
}

export function barChart(opts: { xLabel: string; labels: string[]; columns: Columns; series: BarSeries[]; height?: number; onPick?: (index: number) => void; name: string }): HTMLElement {
  const box = h("div", { class: "cmd-chart", "data-chart": opts.name });
  const bars = opts.series.filter((s) => s.kind === "bar").length;
  let chart: uPlot | undefined;
  const build = (width: number) => {
    let barNo = 0;
    const series: uPlot.Series[] = [
      { label: opts.xLabel, value: (_u, v) => (v == null ? "—" : opts.labels[v] ?? "—") },
      ...opts.series.map((s): uPlot.Series => {
        if (s.kind === "rate") return { label: s.label, stroke: s.colour, width: 2, scale: "%", points: { size: 6 }, value: (_u, v) => (v == null ? "—" : `${v}%`) };
        // Two bar series stand side by side (left and right of the category), one is centred.
        const i = barNo++;
        const align = bars === 1 ? 0 : i === 0 ? -1 : 1;
        return {
          label: s.label, fill: s.colour, stroke: s.colour, width: 0,
          paths: uPlot.paths.bars!({ size: [bars === 1 ? 0.6 : 0.35, 60], align }),
          points: { show: false },
        };
      }),
    ];
    chart = new uPlot({
      width, height: opts.height ?? 240,
      // Counts start at zero (a bar's height is its count), rates are 0–100 %.
      scales: { x: { time: false, range: [-0.6, opts.labels.length - 0.4] }, y: { range: (_u, _min, max) => [0, max > 0 ? Math.ceil(max * 1.15) : 1] }, "%": { range: [0, 100] } },
      axes: [
        { values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? opts.labels[v] ?? "" : "")), splits: () => opts.labels.map((_, i) => i), gap: 4, size: 34 },
        { scale: "y", values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : "")) },
        ...(opts.series.some((s) => s.kind === "rate") ? [{ scale: "%", side: 1 as const, grid: { show: false }, values: (_u: uPlot, splits: number[]) => splits.map((v) => `${v}%`) }] : []),
      ],
      series,
      legend: { show: true },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      hooks: {
        ready: [(u) => {
          if (!opts.onPick) return;
          u.over.style.cursor = "pointer";
          u.over.addEventListener("click", () => {
            const idx = u.posToIdx(u.cursor.left ?? -1);
            if (idx != null && idx >= 0 && idx < opts.labels.length) opts.onPick!(idx);
          });
        }],
      },
    }, opts.columns as uPlot.AlignedData, box);
  };
  const observer = new ResizeObserver(() => {
    const width = Math.floor(box.clientWidth);
    if (!box.isConnected) {
      observer.disconnect();
      chart?.destroy();
      return;
    }
    if (width <= 0) return;
    if (!chart) build(width);
    else if (Math.abs(chart.width - width) > 4) chart.setSize({ width, height: chart.height });
  });
  observer.observe(box);
  return box;
}
