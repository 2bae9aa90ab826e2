/**
 * A walk over the app's own OpenAPI document, for tests that send something
 * to every route (so routes added later are covered without editing them):
 * its operations, the string fields of their bodies and valid baselines.
 */

export type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  minimum?: number;
  format?: string;
  example?: unknown;
};
interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
}
export interface Operation {
  method: string;
  path: string;
  security: boolean;
  parameters: Parameter[];
  bodies: { type: "json" | "form"; schema: Schema }[];
  /**
   * A browser endpoint: it refuses with an HTML page (or at the client's redirect URI), not a problem;
   * or a hosted page's script endpoint, whose CSRF check refuses a form before its fields are read.
   */
  answersPages: boolean;
  /** It can refuse a request as invalid (400): the status a field's refusal needs. */
  refusesInput: boolean;
}
export type Path = (string | number)[];
type Responses = Record<string, { content?: Record<string, unknown> }>;

export interface OpenApiDocument {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: object };
}

/** `sample` gives a valid string for a field by its name and schema (the test knows its own fixtures). */
export function openApiWalk(
  doc: OpenApiDocument,
  sample: (name: string | number | undefined, schema: Schema) => string,
) {
  function resolve(schema: Schema): Schema {
    let current = schema;
    while (current.$ref) {
      const name = current.$ref.replace("#/components/schemas/", "");
      current = (doc.components?.schemas as Record<string, Schema> | undefined)?.[name] as Schema;
    }
    return current;
  }

  const typesOf = (schema: Schema) => (Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []);

  /** Every place a string can go: properties, array items, record values (as key "extra"). */
  function stringFields(schema: Schema, path: Path = []): Path[] {
    const s = resolve(schema);
    const out: Path[] = [];
    for (const member of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) {
      out.push(...stringFields(member, path));
    }
    const types = typesOf(s);
    if (types.includes("string")) out.push(path);
    if (types.includes("object") || s.properties) {
      for (const [name, inner] of Object.entries(s.properties ?? {})) out.push(...stringFields(inner, [...path, name]));
      if (
        s.additionalProperties === true ||
        (typeof s.additionalProperties === "object" && !resolve(s.additionalProperties).type)
      ) {
        out.push([...path, "extra"]);
      } else if (typeof s.additionalProperties === "object") {
        out.push(...stringFields(s.additionalProperties, [...path, "extra"]));
      }
    }
    if (types.includes("array") && s.items) out.push(...stringFields(s.items, [...path, 0]));
    return out;
  }

  /** The required part of a valid value of `schema`. */
  function baseline(schema: Schema, name?: string | number): unknown {
    const s = resolve(schema);
    if (s.enum) return s.enum[0];
    const members = [...(s.anyOf ?? []), ...(s.oneOf ?? [])];
    if (members.length > 0)
      return baseline((members.find((m) => !typesOf(resolve(m)).includes("null")) ?? members[0]) as Schema, name);
    const types = typesOf(s);
    if (types.includes("object") || s.properties) {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? []) out[key] = baseline(s.properties?.[key] ?? ({} as Schema), key);
      return out;
    }
    if (types.includes("array")) return [];
    if (types.includes("string")) return sample(name, s);
    if (types.includes("integer") || types.includes("number")) return s.minimum ?? 1;
    if (types.includes("boolean")) return false;
    return sample(name, s);
  }

  function operations(): Operation[] {
    const out: Operation[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const content = ((op.requestBody as { content?: Record<string, { schema: Schema }> })?.content ?? {}) as Record<
          string,
          { schema: Schema }
        >;
        const bodies: Operation["bodies"] = [];
        if (content["application/json"]) bodies.push({ type: "json", schema: content["application/json"].schema });
        if (content["application/x-www-form-urlencoded"]) {
          bodies.push({ type: "form", schema: content["application/x-www-form-urlencoded"].schema });
        }
        out.push({
          method: method.toUpperCase(),
          path,
          security: Array.isArray(op.security) && op.security.length > 0,
          parameters: (op.parameters as Parameter[] | undefined) ?? [],
          bodies,
          answersPages:
            (op.responses as Responses | undefined)?.["400"]?.content?.["text/html"] !== undefined ||
            (op.tags as string[] | undefined)?.includes("Hosted pages") === true,
          refusesInput: (op.responses as Responses | undefined)?.["400"] !== undefined,
        });
      }
    }
    return out;
  }

  return { stringFields, baseline, operations };
}

/** `target` with `value` at `path`, creating the objects and arrays on the way. */
export function setAt(target: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...Path];
  const container = (target ?? (typeof head === "number" ? [] : {})) as Record<string | number, unknown>;
  container[head] = setAt(container[head], rest, value);
  return container;
}

/** application/x-www-form-urlencoded of flat fields; lone surrogates as the UTF-8-style bytes a client could send. */
export function formOf(fields: Record<string, unknown>): string {
  const encode = (text: string) =>
    [...text]
      .map((ch) => {
        const code = ch.charCodeAt(0);
        if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff) {
          return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`;
        }
        return encodeURIComponent(ch);
      })
      .join("");
  return Object.entries(fields)
    .map(([key, value]) => `${encode(key)}=${encode(String(value))}`)
    .join("&");
}
