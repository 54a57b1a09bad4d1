import { describe, expect, it } from "vitest";
import {
  childBars, departmentBars, drillOf, figures, lastMonths, monthLabel, monthOf, monthWindow, rateText, trend, type CommandStats,
} from "../src/command/chartdata";

function stats(received: number, resolved: number, rate: number | null, onTime: number | null = null): CommandStats {
  return {
    org_unit_id: "u", from: "", to: "",
    appeals: { received, by_service_type: {}, by_channel: {}, by_category: {}, by_risk_level: {} },
    resolution: { resolved, resolution_rate: rate, median_hours_to_first_action: 1.25, median_hours_to_resolve: null },
    orders: { issued: 4, arrived: 3, arrived_on_time: 2, arrived_flagged: 1, on_time_rate: onTime, leader_level_met_rate: null,
      overdue: 1, escalated_to_street: 0, escalated_to_district: 0, by_department: [] },
    warnings: { raised: { blue: 1, yellow: 2, orange: 3, red: 4 }, median_minutes_to_ack: { red: 7.5 } },
    satisfaction: { rated: 2, satisfied: 1, basically_satisfied: 1, unsatisfied: 0, satisfied_rate: 0.5 },
    by_child: [],
  };
}

describe("month windows (Shanghai calendar months)", () => {
  it("starts a month at Shanghai midnight of the 1st, in UTC", () => {
    expect(monthWindow("2026-11")).toEqual({ from: "2026-10-31T16:00:00Z", to: "2026-11-30T16:00:00Z" });
    expect(monthWindow("2026-12")).toEqual({ from: "2026-11-30T16:00:00Z", to: "2026-12-31T16:00:00Z" });
    expect(() => monthWindow("2026-1")).toThrow(RangeError);
  });
  it("knows which month an instant belongs to in Shanghai", () => {
    expect(monthOf(Date.parse("2026-11-30T16:30:00Z"))).toBe("2026-12");
    expect(monthOf(Date.parse("2026-11-30T15:59:00Z"))).toBe("2026-11");
  });
  it("lists the last n months oldest first, across a year", () => {
    expect(lastMonths("2026-02", 4)).toEqual(["2025-11", "2025-12", "2026-01", "2026-02"]);
  });
  it("labels months in either language", () => {
    expect(monthLabel("2026-03", "zh")).toBe("3月");
    expect(monthLabel("2026-03", "en", true)).toBe("Mar 2026");
  });
});

describe("figures", () => {
  it("formats rates and keeps the raw value for the drill-down", () => {
    expect(rateText(0.8333)).toBe("83.3%");
    expect(rateText(null)).toBe("—");
    expect(rateText(1)).toBe("100.0%");
    const f = figures(stats(12, 9, 0.75, 0.5));
    const byPath = Object.fromEntries(f.map((x) => [x.path, x]));
    expect(byPath["appeals.received"]).toMatchObject({ value: 12, text: "12", kind: "count" });
    expect(byPath["resolution.resolution_rate"]).toMatchObject({ value: 0.75, text: "75.0%" });
    expect(byPath["orders.leader_level_met_rate"]).toMatchObject({ value: null, text: "—" });
    expect(byPath["resolution.median_hours_to_first_action"]!.text).toBe("1.3");
    expect(byPath["warnings.raised.red"]).toMatchObject({ value: 4, level: "red" });
    expect(new Set(f.map((x) => x.path)).size).toBe(f.length);
  });
  it("drills a count into itself and a rate or median into the records it is made of", () => {
    expect(drillOf("appeals.received")).toEqual({ figure: "appeals.received" });
    expect(drillOf("orders.on_time_rate")).toEqual({ figure: "orders.arrived_on_time" });
    expect(drillOf("orders.leader_level_met_rate")).toEqual({ figure: "orders.leader_level_met" });
    expect(drillOf("warnings.raised.orange")).toEqual({ figure: "warnings.raised", value: "orange" });
    expect(drillOf("warnings.median_minutes_to_ack.red")).toEqual({ figure: "warnings.raised", value: "red" });
    expect(figures(stats(1, 1, 1)).every((x) => /^(appeals|resolution|orders|warnings|satisfaction)\.[a-z_]+$/.test(x.drill.figure))).toBe(true);
  });
});

describe("chart columns", () => {
  it("makes a month trend with rates in percent and gaps for null", () => {
    const t = trend(["2026-10", "2026-11"], [stats(10, 5, 0.5, null), stats(0, 0, null, 0.25)]);
    expect(t.columns).toEqual([[0, 1], [10, 0], [5, 0], [50, null], [null, 25]]);
    expect(() => trend(["2026-10"], [])).toThrow(RangeError);
  });
  it("makes child-unit and department bars", () => {
    const c = childBars([{ org_unit_id: "a", name: "A", received: 3, resolution_rate: 1 / 3, on_time_rate: null }]);
    expect(c).toEqual({ labels: ["A"], ids: ["a"], columns: [[0], [3], [33.3], [null]] });
    const d = departmentBars([
      { department_id: "x", name: "住建", issued: 1, on_time_rate: 1, mean_community_rating: null, mean_department_rating: null },
      { department_id: "y", name: "城管", issued: 5, on_time_rate: 0.2, mean_community_rating: 4, mean_department_rating: 5 },
    ]);
    expect(d.ids).toEqual(["y", "x"]);
    expect(d.columns).toEqual([[0, 1], [5, 1], [20, 100]]);
  });
});
