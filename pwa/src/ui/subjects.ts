/**
 * What a record is about, in words a person recognises ("楼上漏水", "派单：…", "心理咨询 12/03
 * 14:00"), for notices, warnings and conflicts that would otherwise only say "a dispute".
 * Never shows a raw id: a record this phone does not hold yet is named by its kind only.
 */
import { enumLabel, t } from "./i18n";
import { formatDateTime } from "./format";
import { viewRecord } from "../sync/view";
import { unitName } from "./directory";

export async function subjectName(collection: string, id: unknown, depth = 0): Promise<string> {
  const kind = enumLabel("outbox", "collection", collection);
  if (typeof id !== "string" || depth > 2) return kind;
  const r = await viewRecord(collection, id);
  if (!r) return kind;
  const f = r.fields;
  switch (collection) {
    case "disputes":
      return `${kind}「${String(f["title"] ?? "—")}」`;
    case "dispatch_orders":
      return `${kind}「${String(f["summary"] ?? unitName(f["department_id"])).slice(0, 40)}」`;
    case "psych_sessions":
      return `${kind} ${formatDateTime(f["starts_at"])}`;
    case "consultations":
      return `${kind}「${enumLabel("consultations", "topic", f["topic"])}」`;
    case "warnings":
      return f["subject_collection"] ? subjectName(String(f["subject_collection"]), f["subject_id"], depth + 1) : t("warning");
    case "conflicts":
      return subjectName(String(f["target_collection"]), f["target_id"], depth + 1);
    default:
      return kind;
  }
}

/** The record a notice link points at: "#/orders/<id>" → ["dispatch_orders", id]. */
export function linkTarget(hash: string): [string, string] | null {
  const m = /^#\/(inbox\/warnings|orders|psych\/sessions|psych|conflicts|disputes|consultations)\/([^/?]+)$/.exec(hash);
  if (!m) return null;
  const collection: Record<string, string> = {
    "inbox/warnings": "warnings", orders: "dispatch_orders", "psych/sessions": "psych_sessions", psych: "psych_sessions",
    conflicts: "conflicts", disputes: "disputes", consultations: "consultations",
  };
  return [collection[m[1]!]!, decodeURIComponent(m[2]!)];
}
