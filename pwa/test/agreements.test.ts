import { describe, expect, it } from "vitest";
import { checkValue } from "../src/sync/validate";
import { termLines } from "../src/ui/screens/agreements";
import type { FieldSpec } from "../src/schema";

const parties = { type: "list", policy: "set", required: false, items: "agreement_party" } as FieldSpec;
const signatures = { type: "list", policy: "set", required: false, items: "signature" } as FieldSpec;
const ruling = { type: "string", policy: "lww", required: false, items: "attachment", max_length: 64 } as FieldSpec;
const SHA = "a".repeat(64);

describe("agreement values are checked on the phone as on the server", () => {
  it("takes a party with only the last four characters of an ID", () => {
    expect(checkValue(parties, [{ name: "张三", id_number_last4: "123X", role: "申请人" }])).toBeNull();
    expect(checkValue(parties, [{ name: "张三", id_number: "440301199001011234" }])).not.toBeNull();
    expect(checkValue(parties, [{ name: "张三", id_number_last4: "12345" }])).not.toBeNull();
    expect(checkValue(parties, [{ name: "张三", id_number_last4: "12a4" }])).not.toBeNull();
  });
  it("takes a signature naming an image and a time", () => {
    expect(checkValue(signatures, [{ party_name: "张三", attachment: SHA, signed_at: "2026-12-03T02:00:00.000Z" }])).toBeNull();
    expect(checkValue(signatures, [{ party_name: "张三", attachment: "x", signed_at: "2026-12-03T02:00:00Z" }])).not.toBeNull();
    expect(checkValue(signatures, [{ party_name: "张三", attachment: SHA }])).not.toBeNull();
  });
  it("takes a ruling as one attachment hash", () => {
    expect(checkValue(ruling, SHA)).toBeNull();
    expect(checkValue(ruling, "裁定书")).not.toBeNull();
  });
});

describe("terms", () => {
  it("are numbered once, whatever numbering was typed", () => {
    expect(termLines("1. 付款\n（2）道歉\n\n第三条 修复\n四、搬离\n不编号")).toEqual(["付款", "道歉", "修复", "搬离", "不编号"]);
  });
});
