/**
 * Miniflare's module rules for the built Worker, matching what wrangler uploads beside
 * dist/worker/worker.js: the .wasm files precompiled, Swagger UI's files as text (wrangler.toml [[rules]]).
 */
export const WORKER_MODULE_RULES: { type: "CompiledWasm" | "Text"; include: string[] }[] = [
  { type: "CompiledWasm", include: ["**/*.wasm"] },
  { type: "Text", include: ["**/*-swagger-ui-bundle.js", "**/*-swagger-ui.css"] },
];
