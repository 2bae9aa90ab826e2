/**
 * docs/reference/http.md's operations and schemas, rendered from the
 * service's own OpenAPI document (GET /openapi.json), so the reference says
 * what the routes' schemas say and cannot drift from them. The rest of the
 * file is written by hand; only the part between the markers is replaced.
 */
import { headingSlugger, headingsOf } from "./markdown.js";
import type { OpenApiDocument, Operation, Schema } from "./openapi-types.js";
import { cell, code, type Link, notesOf, refName, shapeOf, typeOf } from "./schema-markdown.js";

export const GENERATED_BEGIN =
  "<!-- BEGIN GENERATED: `npm run docs:reference` writes this part from GET /openapi.json; edit the routes, not this -->";
export const GENERATED_END = "<!-- END GENERATED -->";

/** Reading order of the areas; an area not listed here follows them, alphabetically. */
const AREA_ORDER = [
  "Accounts",
  "Email and password",
  "Sessions",
  "Multi-factor authentication",
  "Passkeys",
  "API keys",
  "Tokens",
  "Federation",
  "SAML",
  "OpenID Provider",
  "Hosted pages",
  "Discovery",
  "Administration",
  "Operations",
];

/** How each security scheme reads; "Authentication" in the hand-written part says which credential is which. */
const SECURITY_WORDS: Record<string, string> = {
  bearer: "`Authorization: Bearer` (which credential: see the summary)",
  client_secret_basic: "OAuth client credentials (HTTP Basic, or `client_id` and `client_secret` in a form body)",
};

const METHODS = ["get", "post", "put", "patch", "delete"];

function securityOf(operation: Operation): string {
  const options = operation.security ?? [];
  if (options.length === 0) return "none";
  return options
    .map((requirement) => {
      const schemes = Object.keys(requirement);
      return schemes.length === 0 ? "none" : schemes.map((s) => SECURITY_WORDS[s] ?? code(s)).join(" and ");
    })
    .join(", or ");
}

function bodyLines(operation: Operation, schemas: Record<string, Schema>, link: Link): string[] {
  const body = operation.requestBody;
  if (!body) return [];
  // Several media types with one schema (JSON or a form) are described once.
  const bySchema = new Map<string, { types: string[]; schema: Schema }>();
  for (const [type, content] of Object.entries(body.content)) {
    const key = JSON.stringify(content.schema ?? {});
    const entry = bySchema.get(key) ?? { types: [], schema: content.schema ?? {} };
    entry.types.push(code(type));
    bySchema.set(key, entry);
  }
  const lines: string[] = [];
  for (const { types, schema } of bySchema.values()) {
    // A named body is spelled out here too: the fields are what a caller needs at this point.
    const name = schema.$ref ? refName(schema.$ref) : undefined;
    const shown = name ? (schemas[name] ?? {}) : schema;
    const optional = body.required ? "" : ", optional";
    lines.push(`Body${name ? ` (${link(name)})` : ""}, ${types.join(" or ")}${optional}:`, "");
    lines.push(...shapeOf(shown, link), "");
  }
  return lines;
}

const PROBLEM = "application/problem+json";

/** Answers with a body of their own in a table; the problem+json errors in one line after it. */
function responseLines(operation: Operation, link: Link): string[] {
  const lines = ["| status | meaning | body |", "| --- | --- | --- |"];
  const problems: string[] = [];
  let problemType = "";
  for (const [status, response] of Object.entries(operation.responses)) {
    const content = Object.entries(response.content ?? {});
    const problem = content.find(([type]) => type === PROBLEM);
    if (problem && content.length === 1) {
      problemType = problem[1].schema ? typeOf(problem[1].schema, link) : "problem";
      problems.push(`- ${status}: ${(response.description ?? "").trim()}`);
      continue;
    }
    const bodies = content.map(([type, c]) => `${c.schema ? typeOf(c.schema, link) : "any"} (${code(type)})`);
    lines.push(`| ${status} | ${cell(response.description ?? "")} | ${cell(bodies.join(", ") || "none")} |`);
  }
  if (problems.length > 0) lines.push("", `Errors (${code(PROBLEM)}, ${problemType}):`, "", ...problems);
  return lines;
}

function parameterLines(operation: Operation, link: Link): string[] {
  const parameters = operation.parameters ?? [];
  if (parameters.length === 0) return [];
  return [
    "| parameter | in | type | required | notes |",
    "| --- | --- | --- | --- | --- |",
    ...parameters.map((p) => {
      // A query field's description is both the parameter's and its schema's: said once.
      const schema =
        p.schema && p.schema.description === p.description ? { ...p.schema, description: undefined } : p.schema;
      const notes = [p.description, schema ? notesOf(schema) : ""].filter(Boolean).join("; ");
      const type = p.schema ? typeOf(p.schema, link) : "any";
      return `| ${code(p.name)} | ${p.in} | ${cell(type)} | ${p.required ? "yes" : "no"} | ${cell(notes)} |`;
    }),
    "",
  ];
}

interface Entry {
  method: string;
  path: string;
  operation: Operation;
}

function areasOf(doc: OpenApiDocument): [string, Entry[]][] {
  const areas = new Map<string, Entry[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const area = operation.tags?.[0] ?? "Other";
      areas.set(area, [...(areas.get(area) ?? []), { method: method.toUpperCase(), path, operation }]);
    }
  }
  const rank = (area: string) => (AREA_ORDER.includes(area) ? AREA_ORDER.indexOf(area) : AREA_ORDER.length);
  return [...areas].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/**
 * The generated part: an index of the areas, each area's operations
 * (authentication, parameters, body fields, responses), then every named
 * schema. `slug` is the slugger of the whole file, fed with the headings
 * before this part, so repeated headings get the anchors GitHub gives them.
 */
function renderOperations(doc: OpenApiDocument, slug: (heading: string) => string): string {
  const schemas = doc.components?.schemas ?? {};
  const schemaNames = Object.keys(schemas).sort();
  const areas = areasOf(doc);
  const operationHeading = (e: Entry) => code(`${e.method} ${e.path}`);
  // Every heading of this part, in output order, so each anchor is known before the links to it.
  const anchors = new Map<string, string>();
  slug("Operations by area");
  for (const [area, entries] of areas) {
    anchors.set(`area:${area}`, slug(area));
    for (const e of entries) anchors.set(`op:${e.method} ${e.path}`, slug(operationHeading(e)));
  }
  slug("Schemas");
  for (const name of schemaNames) anchors.set(`schema:${name}`, slug(code(name)));
  const link: Link = (name) => `[${code(name)}](#${anchors.get(`schema:${name}`)})`;

  const out: string[] = ["## Operations by area", ""];
  for (const [area, entries] of areas) out.push(`- [${area}](#${anchors.get(`area:${area}`)}): ${entries.length}`);
  out.push("");
  for (const [area, entries] of areas) {
    out.push(`## ${area}`, "", "| operation | what it does |", "| --- | --- |");
    for (const e of entries) {
      const anchor = anchors.get(`op:${e.method} ${e.path}`);
      out.push(`| [${operationHeading(e)}](#${anchor}) | ${cell(e.operation.summary ?? "")} |`);
    }
    out.push("");
    for (const e of entries) {
      const { operation } = e;
      out.push(`### ${operationHeading(e)}`, "");
      if (operation.summary) out.push(sentence(operation.summary), "");
      if (operation.description) out.push(operation.description.trim(), "");
      out.push(`Authentication: ${securityOf(operation)}.`, "");
      if (operation.operationId) out.push(`Operation id: ${code(operation.operationId)}.`, "");
      out.push(...parameterLines(operation, link), ...bodyLines(operation, schemas, link));
      out.push(...responseLines(operation, link), "");
    }
  }
  out.push("## Schemas", "", "The named shapes the operations above take and answer.", "");
  for (const name of schemaNames) {
    const schema = schemas[name] ?? {};
    out.push(`### ${code(name)}`, "");
    if (schema.description && (schema.properties || schema.anyOf || schema.allOf)) out.push(schema.description, "");
    out.push(...shapeOf(schema, link), "");
  }
  return out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd();
}

/** The file with its generated part replaced; the hand-written parts around it stay as they are. */
export function withGeneratedPart(file: string, doc: OpenApiDocument): string {
  const begin = file.indexOf(GENERATED_BEGIN);
  const end = file.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) throw new Error(`the markers ${GENERATED_BEGIN} and ${GENERATED_END} are missing`);
  const slug = headingSlugger();
  for (const heading of headingsOf(file.slice(0, begin))) slug(heading);
  return `${file.slice(0, begin)}${GENERATED_BEGIN}\n\n${renderOperations(doc, slug)}\n\n${file.slice(end)}`;
}
