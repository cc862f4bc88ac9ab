// How the observability figures read: shares as whole percents (one decimal under 10), latencies in
// ms or s, dollars with enough digits that a fraction of a cent shows, counts with thousands marks.
import { formatCost, formatMs } from '../runs/run-format';

export function formatPct(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return `${Math.abs(value) < 10 && value !== 0 ? value.toFixed(1) : Math.round(value)} %`;
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export function formatLatency(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '–' : formatMs(ms);
}

export function formatUsd(usd: number | null | undefined): string {
  return usd === null || usd === undefined ? '–' : formatCost(usd);
}

/** Tokens as people say them: 812, 12.4k, 3.1M. */
export function formatTokens(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** A value in the business metric's own unit ("75 percent", "$0.12", "4.5 minutes"). */
export function formatInUnit(value: number | null, unit: string | null): string {
  if (value === null) return '–';
  const n = Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 2 : 1).replace(/\.?0+$/, '');
  if (!unit) return n;
  if (unit === '$' || unit.toUpperCase() === 'USD') return `$${n}`;
  if (unit === '%') return `${n} %`;
  return `${n} ${unit}`;
}
