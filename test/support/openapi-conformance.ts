/**
 * Checks an answer of the service against its own OpenAPI document, as a
 * client generated from the document would (schemathesis-style): the status
 * is documented for the operation, the body's media type is one it lists,
 * a JSON body matches the schema, and every header it marks required is there.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

type Json = Record<string, unknown>;
interface Header {
  $ref?: string;
  required?: boolean;
}
interface Response {
  content?: Record<string, { schema?: Json }>;
  headers?: Record<string, Header>;
}
export interface ConformanceDocument {
  paths: Record<string, Record<string, { responses?: Record<string, Response> }>>;
  components?: { schemas?: Record<string, Json>; headers?: Record<string, Header> };
}

/** `method path` of an operation, for messages. */
const where = (method: string, path: string, status: number) => `${method.toUpperCase()} ${path} ${status}`;

export function conformance(doc: ConformanceDocument) {
  // Formats (uri, uuid, date-time) are not checked: ajv-formats is not among the dependencies.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  // Each schema is compiled with the components as $defs, so their references resolve inside it.
  const defs = JSON.parse(
    JSON.stringify(doc.components?.schemas ?? {}).replaceAll("#/components/schemas/", "#/$defs/"),
  ) as Json;
  const compiled = new Map<string, ValidateFunction>();
  const validator = (key: string, schema: Json) => {
    let found = compiled.get(key);
    if (!found) {
      const own = JSON.parse(JSON.stringify(schema).replaceAll("#/components/schemas/", "#/$defs/")) as Json;
      found = ajv.compile({ ...own, $defs: defs });
      compiled.set(key, found);
    }
    return found;
  };
  const header = (h: Header): Header =>
    h.$ref ? (doc.components?.headers?.[h.$ref.replace("#/components/headers/", "")] ?? {}) : h;

  /** What is wrong with `response` as an answer of `method path` (a template of the document); empty when nothing. */
  async function mismatches(method: string, path: string, response: globalThis.Response): Promise<string[]> {
    const label = where(method, path, response.status);
    const operation = doc.paths[path]?.[method.toLowerCase()];
    if (!operation) return [`${method.toUpperCase()} ${path}: no such operation in the document`];
    const documented = operation.responses?.[String(response.status)] ?? operation.responses?.default;
    const text = await response.clone().text();
    if (!documented) return [`${label}: status not documented (${text.slice(0, 200)})`];
    const out: string[] = [];
    for (const [name, h] of Object.entries(documented.headers ?? {})) {
      if (header(h).required && !response.headers.has(name)) out.push(`${label}: required header ${name} missing`);
    }
    if (text.length === 0) return out;
    const type = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    const media = documented.content?.[type];
    if (!media) {
      out.push(`${label}: content type ${type} not documented (${Object.keys(documented.content ?? {}).join(", ")})`);
      return out;
    }
    if (/json$/.test(type) && media.schema) {
      const validate = validator(`${method} ${path} ${response.status} ${type}`, media.schema);
      if (!validate(JSON.parse(text))) {
        out.push(
          `${label}: body does not match its schema: ${ajv.errorsText(validate.errors)} (${text.slice(0, 200)})`,
        );
      }
    }
    return out;
  }

  return { mismatches };
}
