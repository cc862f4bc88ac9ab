// A strict reader of the Prometheus text exposition format (0.0.4) for tests: it fails on anything a
// scraper would reject or misread (a sample before its family's TYPE, a family split in two, a HELP
// or TYPE given twice, a malformed line or label, a missing final newline, a histogram whose buckets
// do not end with +Inf).
import { expect } from 'vitest';

export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface Exposition { types: Record<string, string>; help: Record<string, string>; samples: Sample[] }

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const labelPair = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  expect(text, 'a sample value').toMatch(/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i);
  return Number(text);
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = labelPair.exec(rest);
    expect(m, `label pairs in {${text}}`).not.toBeNull();
    expect(out[m![1]!], `label ${m![1]} given once`).toBeUndefined();
    out[m![1]!] = m![2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m![0].length);
  }
  return out;
}

/** The family a sample belongs to: a histogram's _bucket, _sum and _count samples belong to it. */
function familyOf(name: string, types: Record<string, string>): string {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && types[base] === 'histogram' ? base : name;
}

export function parseExposition(text: string): Exposition {
  expect(text.endsWith('\n'), 'the last line ends with a newline').toBe(true);
  const e: Exposition = { types: {}, help: {}, samples: [] };
  const finished = new Set<string>();
  let current: string | undefined;
  const enter = (family: string) => {
    if (family === current) return;
    expect(finished.has(family), `family ${family} appears in one group`).toBe(false);
    if (current) finished.add(current);
    current = family;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string];
      enter(name);
      const into = kind === 'HELP' ? e.help : e.types;
      expect(into[name], `${kind} of ${name} once`).toBeUndefined();
      if (kind === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest);
        expect(e.samples.some((s) => familyOf(s.name, e.types) === name), `TYPE of ${name} before its samples`).toBe(false);
      }
      into[name] = rest;
      continue;
    }
    expect(line.startsWith('#'), `only HELP and TYPE comments: ${line}`).toBe(false);
    const m = sampleLine.exec(line);
    expect(m, `a sample line: ${line}`).not.toBeNull();
    const [, name, labels, value] = m as unknown as [string, string, string | undefined, string];
    const family = familyOf(name, e.types);
    expect(e.types[family], `${name} has a TYPE before it`).toBeDefined();
    enter(family);
    e.samples.push({ name, labels: parseLabels(labels ?? ''), value: parseValue(value) });
  }
  for (const [name, type] of Object.entries(e.types)) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of e.samples.filter((x) => x.name === `${name}_bucket`)) {
      const { le, ...rest } = s.labels;
      expect(le, `${name}_bucket has le`).toBeDefined();
      const k = JSON.stringify(rest);
      series.set(k, [...(series.get(k) ?? []), s]);
    }
    for (const [k, buckets] of series) {
      expect(buckets.at(-1)!.labels.le, `${name}${k} ends with +Inf`).toBe('+Inf');
      const count = e.samples.find((s) => s.name === `${name}_count` && JSON.stringify(s.labels) === k);
      expect(count?.value, `${name}${k} +Inf equals _count`).toBe(buckets.at(-1)!.value);
      expect(e.samples.some((s) => s.name === `${name}_sum` && JSON.stringify(s.labels) === k), `${name}${k} has _sum`).toBe(true);
    }
  }
  return e;
}
