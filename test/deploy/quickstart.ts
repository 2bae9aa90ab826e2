/**
 * The README's quickstart as data: the ```sh blocks of its "Quickstart"
 * section, in order, each with the step (### heading) it belongs to and what
 * the README shows it prints (the non-sh block right after it), plus the two
 * things a literal run needs to know: which commands leave a process running
 * (the README's `... &`, and the service it tells the reader to leave running
 * in a terminal of its own), and which localhost origins the commands call.
 */
import { createServer } from "node:net";
import { expect } from "vitest";
import { codeBlocksOf } from "../../scripts/docs/markdown.js";

export interface QuickstartCommand {
  /** The step's heading: "2. Sign up". */
  step: string;
  command: string;
  /** The block the README shows right after the command: its output. */
  shown?: { lang: string; text: string };
}

const SECTION = "Quickstart";

export function quickstartOf(markdown: string): QuickstartCommand[] {
  const blocks = codeBlocksOf(markdown).filter((block) => block.headings[1] === SECTION);
  return blocks.flatMap((block, i) => {
    if (block.lang !== "sh") return [];
    const step = block.headings[2] ?? "";
    const next = blocks[i + 1];
    const shown =
      next && next.lang !== "sh" && next.headings[2] === step ? { lang: next.lang, text: next.code } : undefined;
    return [{ step, command: block.code, shown }];
  });
}

/** The commands of the step whose heading starts with `number.` */
export function stepOf(commands: QuickstartCommand[], number: number): QuickstartCommand[] {
  const found = commands.filter((c) => c.step.startsWith(`${number}. `));
  if (found.length === 0) throw new Error(`the README's quickstart has no step "${number}. ..."`);
  return found;
}

/**
 * A command whose last line is `npm start` runs the service, which the README
 * says to leave running (in a terminal of its own): the test starts it with `&`.
 */
export function startsService(command: string): boolean {
  return /(^|&&|;|\n)\s*npm start\s*$/.test(command.trim());
}

/** A command the README itself ends with `&`. */
export function backgrounds(command: string): boolean {
  return /[^&]&\s*$/.test(command);
}

/** The http://localhost:<port> origins a command calls. */
export function localOrigins(command: string): string[] {
  return [...new Set([...command.matchAll(/http:\/\/localhost:(\d+)/g)].map((m) => `http://localhost:${m[1]}`))];
}

/** Fails with a clear message when one of the ports the README uses literally is taken. */
export async function expectPortsFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    const server = createServer();
    const taken = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(true));
      server.listen(port, () => server.close(() => resolve(false)));
    });
    if (taken) {
      throw new Error(
        `port ${port} is in use: the README quickstart calls localhost:${ports.join(" and localhost:")} ` +
          "literally, so this test needs them free (stop the authority or dev server listening there)",
      );
    }
  }
}

/**
 * Waits until `{origin}/readyz` answers without a 5xx: the service's readiness
 * check, or any answer at all from a server that has no such route.
 * `alive` says whether the process meant to answer is still running.
 */
export async function waitForOrigin(origin: string, alive: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the process that should serve ${origin} has ended`);
    try {
      const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${origin} did not answer within ${timeoutMs} ms`);
}

/** Node's `console.log` of a plain object (util.inspect: unquoted keys, single quotes) as JSON. */
export function parseInspected(text: string): Record<string, unknown> {
  const json = text
    .trim()
    .replace(/'((?:[^'\\]|\\.)*)'/g, (_, s: string) => JSON.stringify(s.replace(/\\'/g, "'")))
    .replace(/^(\s*)([A-Za-z_$][\w$]*):/gm, '$1"$2":');
  return JSON.parse(json) as Record<string, unknown>;
}

/**
 * `actual` looks like the README's example: the same keys at every level,
 * the same strings, booleans and arrays, except that a string with "…" in it
 * stands for any string and a number for any number (the README's are
 * sample ids, times and durations).
 */
export function expectLikeShown(actual: unknown, shown: unknown, path = "$"): void {
  if (typeof shown === "string" && shown.includes("…")) {
    expect(typeof actual, path).toBe("string");
  } else if (typeof shown === "number") {
    expect(typeof actual, path).toBe("number");
  } else if (Array.isArray(shown)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(shown.length);
    for (const [i, item] of shown.entries()) expectLikeShown((actual as unknown[])[i], item, `${path}[${i}]`);
  } else if (shown !== null && typeof shown === "object") {
    expect(actual, path).toBeTypeOf("object");
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(shown).sort());
    for (const [key, value] of Object.entries(shown)) {
      expectLikeShown((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
  } else {
    expect(actual, path).toEqual(shown);
  }
}
