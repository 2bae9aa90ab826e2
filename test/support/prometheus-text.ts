// Test support: a strict parser of the Prometheus text exposition format
// (version 0.0.4, https://prometheus.io/docs/instrumenting/exposition_formats/)
// that throws on anything a scraper could misread: malformed HELP/TYPE lines,
// bad names, unknown escapes, duplicate series, families split apart, samples
// before their TYPE, and histograms whose buckets, _sum and _count disagree.

type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

export interface Exposition {
  families: Map<string, MetricFamily>;
  /** The one sample of this name whose labels include all of `labels`; undefined when none (throws when several). */
  find(name: string, labels?: Record<string, string>): Sample | undefined;
  /** That sample's value; 0 when it is absent (a series not yet created counts nothing). */
  value(name: string, labels?: Record<string, string>): number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** What Go's strconv.ParseFloat (Prometheus's parser) reads: decimals, and NaN, Inf, Infinity in any case. */
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity)$/i;
const TYPES: MetricType[] = ["counter", "gauge", "histogram", "summary", "untyped"];
const SUFFIXES: Record<MetricType, string[]> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

class ExpositionError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = "ExpositionError";
  }
}

function parseFloatValue(text: string): number | undefined {
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!FLOAT.test(text)) return undefined;
  return Number(text.replace(/inf(inity)?$/i, "Infinity"));
}

/** HELP text: only `\\` and `\n` are escapes. */
function unescapeHelp(text: string, line: number): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new ExpositionError(line, `unknown escape \\${c} in HELP`);
  });
}

/** `{name="value",...}` starting at `text[0]`; returns the labels and the rest of the line. */
function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === "}") return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new ExpositionError(line, "label without =");
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new ExpositionError(line, `bad label name "${name}"`);
    if (name in labels) throw new ExpositionError(line, `label "${name}" repeated`);
    if (text[eq + 1] !== '"') throw new ExpositionError(line, `label "${name}" value is not quoted`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\n") throw new ExpositionError(line, "raw newline in a label value");
      if (text[j] !== "\\") {
        value += text[j];
        continue;
      }
      const escaped = text[++j];
      if (escaped === "\\") value += "\\";
      else if (escaped === '"') value += '"';
      else if (escaped === "n") value += "\n";
      else throw new ExpositionError(line, `unknown escape \\${escaped ?? ""} in label "${name}"`);
    }
    if (j >= text.length) throw new ExpositionError(line, `unterminated value of label "${name}"`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new ExpositionError(line, "expected , or } after a label");
  }
}

function parseSample(text: string, line: number): Sample {
  const nameEnd = text.search(/[{ ]/);
  if (nameEnd <= 0) throw new ExpositionError(line, "a sample needs a name and a value");
  const name = text.slice(0, nameEnd);
  if (!METRIC_NAME.test(name)) throw new ExpositionError(line, `bad metric name "${name}"`);
  let rest = text.slice(nameEnd);
  let labels: Record<string, string> = {};
  if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, line));
  const fields = rest.split(" ");
  if (fields[0] !== "" || fields.length < 2 || fields.length > 3 || fields.includes("", 1)) {
    throw new ExpositionError(line, "expected one space, a value and an optional timestamp");
  }
  const value = parseFloatValue(fields[1] as string);
  if (value === undefined) throw new ExpositionError(line, `bad value "${fields[1]}"`);
  const sample: Sample = { name, labels, value };
  if (fields[2] !== undefined) {
    if (!/^-?\d+$/.test(fields[2])) throw new ExpositionError(line, `bad timestamp "${fields[2]}"`);
    sample.timestamp = Number(fields[2]);
  }
  return sample;
}

const seriesKey = (labels: Record<string, string>, without?: string) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== without)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

/** Buckets cumulative and sorted, a +Inf bucket equal to _count, and a _sum, for every series of a histogram. */
function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  const of = (key: string) => {
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    return entry;
  };
  for (const s of family.samples) {
    if (s.name.endsWith("_bucket")) {
      const le = s.labels.le === undefined ? undefined : parseFloatValue(s.labels.le);
      if (le === undefined || Number.isNaN(le)) throw new Error(`${family.name}: bucket without a numeric le`);
      of(seriesKey(s.labels, "le")).buckets.push([le, s.value]);
    } else if (s.name.endsWith("_sum")) of(seriesKey(s.labels)).sum = s.value;
    else of(seriesKey(s.labels)).count = s.value;
  }
  for (const [key, { buckets, sum, count }] of series) {
    const where = `${family.name}${key}`;
    if (sum === undefined || count === undefined) throw new Error(`${where}: _sum or _count missing`);
    for (let i = 1; i < buckets.length; i++) {
      const [prevLe, prevCount] = buckets[i - 1] as [number, number];
      const [le, bucketCount] = buckets[i] as [number, number];
      if (le <= prevLe) throw new Error(`${where}: buckets not in increasing le order`);
      if (bucketCount < prevCount) throw new Error(`${where}: bucket counts are not cumulative`);
    }
    const last = buckets.at(-1);
    if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no +Inf bucket`);
    if (last[1] !== count) throw new Error(`${where}: +Inf bucket ${last[1]} differs from _count ${count}`);
    if (!Number.isInteger(count) || count < 0) throw new Error(`${where}: _count is not a count`);
  }
}

export function parseExposition(text: string): Exposition {
  const families = new Map<string, MetricFamily>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current: MetricFamily | undefined;
  const open = (name: string, line: number): MetricFamily => {
    if (current?.name === name) return current;
    if (current) finished.add(current.name);
    if (finished.has(name)) throw new ExpositionError(line, `family ${name} appears in two places`);
    current = { name, type: "untyped", samples: [] };
    families.set(name, current);
    return current;
  };
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw === "") return;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
    if (meta) {
      const [, keyword, name, rest = ""] = meta as unknown as [string, string, string, string | undefined];
      if (!METRIC_NAME.test(name)) throw new ExpositionError(line, `bad metric name "${name}"`);
      const family = open(name, line);
      if (family.samples.length > 0) throw new ExpositionError(line, `${keyword} of ${name} after its samples`);
      if (keyword === "HELP") {
        if (family.help !== undefined) throw new ExpositionError(line, `second HELP for ${name}`);
        family.help = unescapeHelp(rest, line);
      } else {
        if (!TYPES.includes(rest as MetricType)) throw new ExpositionError(line, `unknown type "${rest}"`);
        if (seen.has(`TYPE ${name}`)) throw new ExpositionError(line, `second TYPE for ${name}`);
        seen.add(`TYPE ${name}`);
        family.type = rest as MetricType;
      }
      return;
    }
    if (raw.startsWith("#")) return; // a plain comment
    const sample = parseSample(raw, line);
    const belongs =
      current && SUFFIXES[current.type].some((suffix) => sample.name === (current as MetricFamily).name + suffix);
    const family = belongs ? (current as MetricFamily) : open(sample.name, line);
    const key = `${sample.name}${seriesKey(sample.labels)}`;
    if (seen.has(key)) throw new ExpositionError(line, `duplicate series ${key}`);
    seen.add(key);
    if (family.type === "counter" && !(sample.value >= 0)) throw new ExpositionError(line, "negative counter");
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);

  const all = [...families.values()].flatMap((f) => f.samples);
  const find = (name: string, labels: Record<string, string> = {}) => {
    const matches = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
    return matches[0];
  };
  return { families, find, value: (name, labels) => find(name, labels)?.value ?? 0 };
}
