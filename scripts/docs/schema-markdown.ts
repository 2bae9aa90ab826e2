/**
 * One value of an OpenAPI schema in the HTTP reference's Markdown: its type
 * in a few words, its constraints as a note, its fields as a table.
 */
import { NO_CONTROLS } from "../../src/http/schemas.js";
import type { Schema } from "./openapi-types.js";

/** The pattern names and other one-line fields share, said in words. */
const NO_CONTROL_CHARACTERS = NO_CONTROLS.source;

/** Named schemas link to their section of the generated part. */
export type Link = (name: string) => string;

export const cell = (text: string) => text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
export const code = (text: string) => `\`${text}\``;

export function refName(ref: string): string {
  return ref.replace("#/components/schemas/", "");
}

/** The type of a value, in a few words; named schemas link to their section. */
export function typeOf(schema: Schema, link: Link): string {
  if (schema.$ref) return link(refName(schema.$ref));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map((s) => typeOf(s, link)).join(" or ");
  if (schema.allOf) {
    // An extension of named schemas: the names, then the extra fields.
    return schema.allOf
      .map((s) =>
        s.properties
          ? Object.entries(s.properties)
              .map(([name, property]) => `${code(name)}: ${typeOf(property, link)}`)
              .join(", ")
          : typeOf(s, link),
      )
      .join(" + ");
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const named = types.map((t) => {
    if (t === "array") return `array of ${schema.items ? typeOf(schema.items, link) : "any"}`;
    if (t === "string" && schema.format) return `string (${schema.format})`;
    return t;
  });
  return named.length > 0 ? named.join(" or ") : "any";
}

/** The constraints and description of a value, as one sentence-like cell. */
export function notesOf(schema: Schema): string {
  const notes: string[] = [];
  if (schema.description) notes.push(schema.description.trim().replace(/\.$/, ""));
  if (schema.pattern) {
    notes.push(
      schema.pattern === NO_CONTROL_CHARACTERS
        ? "no control characters or line separators"
        : `matches ${code(schema.pattern)}`,
    );
  }
  const values = schema.enum?.map((v) => code(JSON.stringify(v)));
  if (values) notes.push(values.length === 1 ? `always ${values[0]}` : `one of ${values.join(", ")}`);
  const range = (min?: number, max?: number, unit = "") =>
    min !== undefined && max !== undefined
      ? `${min} to ${max}${unit}`
      : min !== undefined
        ? `at least ${min}${unit}`
        : max !== undefined
          ? `at most ${max}${unit}`
          : undefined;
  const length = range(schema.minLength, schema.maxLength, " characters");
  if (length) notes.push(length);
  const value = range(schema.minimum, schema.maximum);
  if (value) notes.push(value);
  const items = range(schema.minItems, schema.maxItems, " items");
  if (items) notes.push(items);
  if (schema.default !== undefined) notes.push(`default ${code(JSON.stringify(schema.default))}`);
  return notes.join("; ");
}

interface Row {
  field: string;
  type: string;
  required: boolean;
  notes: string;
}

/** One row per field, nested inline objects (and objects in arrays) as `a.b` and `a[].b`. */
function fieldRows(schema: Schema, link: Link, prefix = ""): Row[] {
  const rows: Row[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const field = `${prefix}${name}`;
    rows.push({ field, type: typeOf(property, link), required: required.has(name), notes: notesOf(property) });
    if (property.properties) rows.push(...fieldRows(property, link, `${field}.`));
    if (property.items?.properties) rows.push(...fieldRows(property.items, link, `${field}[].`));
  }
  const extra = schema.additionalProperties;
  if (extra && typeof extra === "object" && Object.keys(extra).length > 0) {
    rows.push({ field: `${prefix}*`, type: typeOf(extra, link), required: false, notes: "any other name" });
  }
  return rows;
}

function fieldTable(rows: Row[]): string[] {
  return [
    "| field | type | required | notes |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| ${code(r.field)} | ${cell(r.type)} | ${r.required ? "yes" : "no"} | ${cell(r.notes)} |`),
  ];
}

/** A schema's shape: its fields, or what it is made of (alternatives, extensions of named schemas). */
export function shapeOf(schema: Schema, link: Link): string[] {
  const lines: string[] = [];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    lines.push("One of:", "");
    alternatives.forEach((s, i) => {
      lines.push(`${i + 1}. ${typeOf(s.properties ? { type: "object" } : s, link)}`);
      if (s.properties) lines.push("", ...fieldTable(fieldRows(s, link)).map((l) => `   ${l}`), "");
    });
    return lines;
  }
  if (schema.allOf) {
    const named = schema.allOf.filter((s) => !s.properties);
    const inline = schema.allOf.filter((s) => s.properties);
    lines.push(`${named.map((s) => typeOf(s, link)).join(" and ")}${inline.length > 0 ? ", with:" : ""}`);
    for (const part of inline) lines.push("", ...fieldTable(fieldRows(part, link)));
    return lines;
  }
  const rows = fieldRows(schema, link);
  if (rows.length > 0) return fieldTable(rows);
  return [`${typeOf(schema, link)}${schema.description ? `: ${schema.description}` : ""}`];
}
