/**
 * True conflicts, side by side: base, theirs, yours. The person chooses one or types another
 * value; resolving pushes `{"status": "resolved", "resolution": value}` on the conflict record.
 */
import { h, formValues, toast } from "../dom";
import { t, enumLabel, fieldLabel } from "../i18n";
import { formatDateTime } from "../format";
import { route, type Ctx, type Screen } from "../app";
import { saveChanges, viewCollection, viewRecord } from "../../sync/view";
import { fieldSpec } from "../../schema";
import { userName } from "../directory";
import { changedFields, conflictRecord, readableValue, recordCard, sideFacts } from "./conflicts_record";
import { emptyState, enumSelect, field, pendingBadge, statusBadge, textArea } from "../widgets";
import type { Fields } from "../../types";

const DELETE_KINDS = ["delete_vs_edit", "edit_vs_delete"];

/** A side's value in words: a field's value, or for a delete conflict just "deleted" or not. */
async function show(collection: string, fieldName: string | null, kind: string, value: unknown): Promise<string> {
  if (DELETE_KINDS.includes(kind) && !fieldName) return value === null || value === undefined ? t("conflict_record_deleted") : t("conflict_record");
  return readableValue(collection, fieldName, value);
}

const TARGET_ROUTES: Record<string, string> = { disputes: "/disputes/", dispatch_orders: "/orders/", psych_sessions: "/psych/sessions/", consultations: "/consultations/" };

async function listScreen(): Promise<Screen> {
  const all = (await viewCollection("conflicts")).sort((a, b) =>
    (a.fields["status"] === "open" ? 0 : 1) - (b.fields["status"] === "open" ? 0 : 1) || String(b.fields["created_at"]).localeCompare(String(a.fields["created_at"])));
  const names = await Promise.all(all.map(async (c) => (await conflictRecord(c.fields)).title));
  const sides = await Promise.all(all.map(async (c) => {
    const f = c.fields;
    const coll = String(f["target_collection"]);
    const fieldName = f["field"] as string | null;
    return [await show(coll, fieldName, String(f["kind"]), f["theirs"]), await show(coll, fieldName, String(f["kind"]), f["yours"])];
  }));
  const node = all.length ? h("ul", { class: "list" }, all.map((c, i) => {
    const f = c.fields;
    return h("li", null, h("a", { class: "item", href: `#/conflicts/${c.id}` },
      h("div", { class: "item-head" }, h("strong", null, names[i]!), statusBadge("conflicts", f["status"])),
      h("div", { class: "item-meta" }, `${fieldLabel(f["field"] as string | null)} · ${enumLabel("conflicts", "kind", f["kind"])}`),
      h("small", null, `${t("theirs")}: ${sides[i]![0]!.slice(0, 40)} · ${t("yours")}: ${sides[i]![1]!.slice(0, 40)} `, pendingBadge(c.pending))));
  })) : emptyState();
  return { title: t("conflicts"), node, live: true };
}

async function detailScreen(ctx: Ctx): Promise<Screen> {
  const id = ctx.params[0]!;
  const c = await viewRecord("conflicts", id);
  if (!c) return { title: t("conflicts"), node: h("p", { class: "empty" }, t("not_found")), live: true };
  const f = c.fields;
  const coll = String(f["target_collection"]);
  const fieldName = (f["field"] as string | null) ?? null;
  const kind = String(f["kind"]);
  const isDeleteKind = DELETE_KINDS.includes(kind);
  const rec = await conflictRecord(f);
  const targetName = rec.title;
  const card = await recordCard(f, rec);
  // Each side in words: the record's fields for a delete conflict, the field's value otherwise.
  const changed = changedFields(f);
  const sideNodes = await Promise.all([f["base"], f["theirs"], f["yours"]].map(async (v) =>
    isDeleteKind && !fieldName ? sideFacts(coll, v, changed) : h("pre", { class: "value" }, await readableValue(coll, fieldName, v))));
  const resolutionText = f["status"] === "resolved" ? await show(coll, fieldName, kind, f["resolution"]) : "";
  const resolve = async (value: unknown) => {
    await saveChanges("conflicts", id, { status: "resolved", resolution: value });
    toast(t("saved"));
  };
  const column = (label: string, valueNode: HTMLElement, by?: unknown, choose?: unknown) =>
    h("div", { class: "side" }, h("h3", null, label), by ? h("small", null, t("by", { who: userName(by) })) : null,
      valueNode,
      choose !== undefined && f["status"] === "open" ? h("button", { type: "button", onclick: () => resolve(choose) }, label === t("theirs") ? t("keep_theirs") : t("keep_yours")) : null);
  let editor: HTMLElement | null = null;
  if (f["status"] === "open" && !isDeleteKind && fieldName) {
    const spec = fieldSpec(coll, fieldName);
    const control = spec?.type === "enum"
      ? enumSelect(coll, fieldName, f["yours"], { name: "value" })
      : textArea("value", typeof f["yours"] === "string" ? f["yours"] : JSON.stringify(f["yours"]));
    const form: HTMLFormElement = h("form", { class: "card stack", onsubmit: async (ev: Event) => {
      ev.preventDefault();
      const raw = String(formValues(form)["value"] ?? "");
      let value: unknown = raw;
      if (spec && !["enum", "string", "text", "datetime"].includes(spec.type)) {
        try { value = JSON.parse(raw); } catch { value = raw; }
      }
      await resolve(value);
    } }, field(t("edit_value"), control), h("button", { type: "submit" }, t("resolve_with")));
    editor = form;
  }
  const node = h("div", { class: "stack" },
    h("div", null, statusBadge("conflicts", f["status"]), " ", pendingBadge(c.pending)),
    h("p", null, isDeleteKind ? t(`conflict_kind_${kind}`) : `${fieldLabel(fieldName)} · ${enumLabel("conflicts", "kind", kind)}`),
    TARGET_ROUTES[coll] ? h("a", { href: `#${TARGET_ROUTES[coll]}${String(f["target_id"])}` }, t("conflict_on", { what: targetName })) : h("p", null, t("conflict_on", { what: targetName })),
    card,
    h("div", { class: "sides" },
      column(t("base"), sideNodes[0]!),
      column(t("theirs"), sideNodes[1]!, f["theirs_by"], isDeleteKind ? undefined : f["theirs"]),
      column(t("yours"), sideNodes[2]!, f["yours_by"], isDeleteKind ? undefined : f["yours"])),
    isDeleteKind && f["status"] === "open" ? h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => resolve(false) }, t("keep_record")),
      h("button", { type: "button", class: "danger", onclick: () => resolve(true) }, t("delete_record"))) : null,
    editor,
    f["status"] === "resolved" ? h("p", null, `${t("resolved")}：${resolutionText} ${f["resolved_by"] ? t("by", { who: userName(f["resolved_by"]) }) : ""} ${formatDateTime(f["updated_at"])}`) : null);
  return { title: t("conflicts"), node, live: true };
}

export async function openConflictCount(): Promise<number> {
  return (await viewCollection("conflicts")).filter((c) => (c.fields as Fields)["status"] === "open").length;
}

export function registerConflictRoutes(): void {
  route("/conflicts", listScreen);
  route("/conflicts/:id", detailScreen);
}
