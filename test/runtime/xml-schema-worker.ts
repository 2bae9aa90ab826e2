/**
 * A tiny Worker around the SAML schema validator, for
 * test/runtime/xml-schema.worker.test.ts: bundled by wrangler (which turns the
 * xmllint .wasm import into a precompiled WebAssembly.Module, as the real entry
 * would) and run inside workerd by Miniflare.
 *
 *   POST /validate       {xml}          -> {valid, errors, ms}
 *   POST /validate-many  {xml, times}   -> {valid, ms}: `times` validations in one request
 *   POST /samlify        {xml}          -> {ok, error}: samlify's SamlLib.isValidXml with this validator
 *   POST /compile-from-bytes            -> {error}: what workerd says to WebAssembly.compile(bytes)
 */
import * as samlify from "samlify";
import xmllintWasm from "xmllint-wasm/xmllint.wasm";
import {
  createXmllintSchemaValidator,
  samlifySchemaValidator,
  type XmlSchemaValidator,
} from "../../src/adapters/saml/xml-schema-validator.js";
import { compileFromBytes } from "../support/wasm-probe.js";

let validator: XmlSchemaValidator | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
    if (pathname === "/compile-from-bytes") return compileFromBytes();
    validator ??= createXmllintSchemaValidator(xmllintWasm);
    const body = (await request.json()) as { xml: string; times?: number };
    const started = performance.now();
    if (pathname === "/validate") {
      const result = await validator.validate(body.xml);
      return Response.json({ ...result, ms: performance.now() - started });
    }
    if (pathname === "/validate-many") {
      let valid = true;
      for (let i = 0; i < (body.times ?? 1); i++) valid &&= (await validator.validate(body.xml)).valid;
      return Response.json({ valid, ms: performance.now() - started });
    }
    if (pathname === "/samlify") {
      samlify.setSchemaValidator(samlifySchemaValidator(validator));
      try {
        await samlify.SamlLib.isValidXml(body.xml);
        return Response.json({ ok: true, error: null });
      } catch (error) {
        return Response.json({ ok: false, error: String(error) });
      }
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler;
