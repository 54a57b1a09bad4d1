/**
 * The record a conflict is about, in words (issue 11: "a delete conflict shows ids").
 *
 * A person deciding "keep or delete" must see which dispute it is: its title and its fields with
 * labels and readable values (names of units and users from the local directory, never ids).
 * The local copy is used when the phone holds it; a record already gone here (deleted) is shown
 * from the values the conflict stored (base, theirs, yours).
 */
import { h } from "../dom";
import { addText, enumLabel, fieldLabel, t } from "../i18n";
import { formatDateTime } from "../format";
import { viewRecord } from "../../sync/view";
import { fieldSpec, schema } from "../../schema";
import { unitName, userName } from "../directory";
import { subjectName } from "../subjects";
import type { Fields } from "../../types";

addText({
  conflict_record: ["记录内容", "The record"],
  conflict_record_stored: ["本机已无该记录，以下为冲突时保存的内容", "This device no longer holds the record; shown as stored with the conflict"],
  conflict_record_deleted: ["（已删除）", "(deleted)"],
  conflict_photo_count: ["{n} 张", "{n}"],
  conflict_located: ["已定位", "Located"],
  conflict_label_created_by: ["登记人", "Recorded by"],
  conflict_no_change: ["（无改动）", "(no change)"],
});

/** Labels fieldLabel does not know yet (it would show the raw field name). */
const EXTRA_LABELS: Record<string, string> = { created_by: "conflict_label_created_by" };
function label(name: string): string {
  return EXTRA_LABELS[name] ? t(EXTRA_LABELS[name]!) : fieldLabel(name);
}

/** Bookkeeping fields a person does not decide on. */
const HIDDEN = new Set(["id", "version", "updated_at", "scope_org_id", "deleted"]);
/** The title-like field of each kind of record, in order of preference. */
const TITLE_FIELDS = ["title", "summary", "name", "subject", "topic"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isFields(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A referenced record's name: units and users from the directory, anything else by subject. */
async function refName(target: string | undefined, id: unknown): Promise<string> {
  if (typeof id !== "string") return "—";
  if (target === "org_units") return unitName(id);
  if (target === "users") return userName(id);
  if (target) return subjectName(target, id);
  const name = userName(id);
  return name !== "—" ? name : unitName(id);
}

/** One value as a person reads it; never a raw id. */
export async function readableValue(collection: string, name: string | null, value: unknown): Promise<string> {
  if (value === null || value === undefined || value === "") return "—";
  const spec = name ? fieldSpec(collection, name) : undefined;
  switch (spec?.type) {
    case "enum":
      return enumLabel(collection, name!, value);
    case "datetime":
      return formatDateTime(value);
    case "ref":
      return refName(spec.ref, value);
    case "geo":
      return t("conflict_located");
  }
  if (Array.isArray(value)) {
    if (name === "photos" || spec?.items === "attachment") return t("conflict_photo_count", { n: value.length });
    const parts = await Promise.all(value.map(async (x) =>
      isFields(x) ? `${String(x["name"] ?? "—")}${x["role"] ? `（${String(x["role"])}）` : ""}` : readableValue(collection, null, x)));
    return parts.join("、") || "—";
  }
  if (typeof value === "string") return UUID.test(value) ? refName(undefined, value) : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "—";
}

/** The record's human title; the collection's name in words when it has none. */
export async function recordTitle(collection: string, fields: Fields): Promise<string> {
  const kind = enumLabel("outbox", "collection", collection);
  for (const name of TITLE_FIELDS) {
    const v = fields[name];
    if (v !== null && v !== undefined && v !== "") return `${kind}「${(await readableValue(collection, name, v)).slice(0, 60)}」`;
  }
  if (collection === "psych_sessions" && fields["starts_at"]) return `${kind} ${formatDateTime(fields["starts_at"])}`;
  return kind;
}

/** The fields of the collection's schema order first, then any others, minus bookkeeping. */
function fieldOrder(collection: string, fields: Fields): string[] {
  const known = Object.keys(schema().collections[collection]?.fields ?? {});
  const names = [...known.filter((n) => n in fields), ...Object.keys(fields).filter((n) => !known.includes(n))];
  return names.filter((n) => !HIDDEN.has(n));
}

/** Labelled, readable facts of a set of field values. */
export async function recordFacts(collection: string, fields: Fields, only?: Set<string>): Promise<HTMLElement> {
  const names = fieldOrder(collection, fields).filter((n) => !only || only.has(n));
  if (!names.length) return h("p", { class: "value" }, t("conflict_no_change"));
  const rows = await Promise.all(names.map(async (n) =>
    [h("dt", null, label(n)), h("dd", null, await readableValue(collection, n, fields[n]))]));
  return h("dl", { class: "facts" }, rows);
}

/** The values a conflict stored about the record, newest over oldest. */
export function storedFields(conflict: Fields): Fields {
  return { ...(isFields(conflict["base"]) ? conflict["base"] : {}), ...(isFields(conflict["theirs"]) ? conflict["theirs"] : {}),
    ...(isFields(conflict["yours"]) ? conflict["yours"] : {}) };
}

export interface ConflictRecord {
  title: string;
  fields: Fields;
  /** False: the phone no longer holds it; the fields are the conflict's stored values. */
  local: boolean;
}

export async function conflictRecord(conflict: Fields): Promise<ConflictRecord> {
  const coll = String(conflict["target_collection"]);
  const id = conflict["target_id"];
  const local = typeof id === "string" ? await viewRecord(coll, id) : undefined;
  const fields = local ? local.fields : storedFields(conflict);
  return { title: await recordTitle(coll, fields), fields, local: Boolean(local) };
}

/** The card with the record's title and its fields, for the conflict's detail screen. */
export async function recordCard(conflict: Fields, rec: ConflictRecord): Promise<HTMLElement> {
  const coll = String(conflict["target_collection"]);
  return h("section", { class: "card stack conflict-record" },
    h("h3", null, t("conflict_record")),
    h("strong", { class: "conflict-record-title" }, rec.title),
    rec.local ? null : h("small", null, t("conflict_record_stored")),
    await recordFacts(coll, rec.fields));
}

/**
 * The fields a delete conflict's sides disagree on (the record itself is in the card above):
 * those where the edit made theirs or yours differ from the base.
 */
export function changedFields(conflict: Fields): Set<string> {
  const base = isFields(conflict["base"]) ? conflict["base"] : {};
  const changed = new Set<string>();
  for (const side of [conflict["theirs"], conflict["yours"]]) {
    if (!isFields(side)) continue;
    for (const [k, v] of Object.entries(side)) if (JSON.stringify(v) !== JSON.stringify(base[k])) changed.add(k);
  }
  return changed;
}

/** One side of a delete conflict: "deleted", or its values of the fields that changed. */
export async function sideFacts(collection: string, value: unknown, changed: Set<string>): Promise<HTMLElement> {
  if (!isFields(value)) return h("p", { class: "value" }, value === null || value === undefined ? t("conflict_record_deleted") : String(value));
  return recordFacts(collection, value, changed);
}
