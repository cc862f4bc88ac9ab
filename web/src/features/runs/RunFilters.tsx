// The runs list's filters. They live in the URL (so /runs?workflow=x&status=failed is a link a person
// can send), and every change goes back to the newest page. Relative time windows are kept as
// `window=24h` rather than a fixed instant, so a saved link keeps meaning "the last 24 hours".
import { useEffect, useId, useState, type InputHTMLAttributes, type ReactNode } from 'react';
import { setQuery } from '../../lib/router';
import type { Workflow } from '../../lib/api-types';
import { runStatuses, stages } from './run-format';

const windows = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
type WindowKey = keyof typeof windows;
const isWindow = (v: string | null): v is WindowKey => v !== null && v in windows;

/** Wait reasons and the error codes a failed run most often carries, offered while typing. */
const reasons = ['review', 'retry', 'outcome_unknown', 'step_failed', 'step_timeout', 'action_failed', 'egress_refused',
  'provider_rate_limited', 'review_expired', 'budget_exceeded', 'misconfigured', 'invalid_input', 'internal'];

/** The filter names the page keeps in its URL (and clears together). */
const filterKeys = ['workflow', 'version', 'stage', 'status', 'reason', 'window', 'since', 'until', 'before'] as const;

/** What GET /api/runs is asked, from the page's URL; relative windows become instants now. */
export function runsQuery(q: URLSearchParams, now = Date.now()): Record<string, string | undefined> {
  const window = q.get('window');
  const relative = isWindow(window);
  return {
    workflow: q.get('workflow') ?? undefined, version: q.get('version') ?? undefined, stage: q.get('stage') ?? undefined,
    status: q.get('status') ?? undefined, reason: q.get('reason') ?? undefined, before: q.get('before') ?? undefined,
    since: relative ? new Date(now - windows[window]).toISOString() : (q.get('since') ?? undefined),
    until: relative ? undefined : (q.get('until') ?? undefined),
  };
}

/** True when anything narrows the list (the empty state then says so). */
export function hasFilters(q: URLSearchParams): boolean {
  return filterKeys.some((k) => k !== 'before' && q.has(k));
}

/** A filter change: back to the newest page. */
function change(values: Record<string, string | undefined>): void {
  setQuery({ ...values, before: undefined });
}

export function RunFilters({ query, workflows }: { query: URLSearchParams; workflows: Workflow[] | undefined }) {
  const window = query.get('window');
  const timeChoice = isWindow(window) ? window : query.has('since') || query.has('until') || window === 'custom' ? 'custom' : '';
  const selected = query.get('workflow') ?? '';
  return (
    <form className="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
      <Select label="Workflow" value={selected} onChange={(v) => change({ workflow: v, version: v ? query.get('version') ?? undefined : undefined })}>
        <option value="">All workflows</option>
        {/* A linked workflow the list does not hold (no access, or not loaded yet) is still shown as chosen. */}
        {selected && workflows && !workflows.some((w) => w.id === selected) ? <option value={selected}>{selected}</option> : null}
        {workflows?.map((w) => <option key={w.id} value={w.id}>{w.title} ({w.id})</option>)}
      </Select>
      <DeferredInput label="Version" type="number" min={1} step={1} inputMode="numeric" className="runs-version" value={query.get('version') ?? ''}
        title="A version number of the chosen workflow" onCommit={(v) => change({ version: v })} />
      <Select label="Stage" value={query.get('stage') ?? ''} onChange={(v) => change({ stage: v })}>
        <option value="">All stages</option>
        {stages.map((s) => <option key={s} value={s}>{s}</option>)}
      </Select>
      <Select label="Status" value={query.get('status') ?? ''} onChange={(v) => change({ status: v })}>
        <option value="">All statuses</option>
        {runStatuses.map((s) => <option key={s} value={s}>{s.replace(/_/g, ' ')}</option>)}
      </Select>
      <DeferredInput label="Reason" list="run-reasons" value={query.get('reason') ?? ''} placeholder="wait reason or error code" size={24}
        onCommit={(v) => change({ reason: v })} />
      <datalist id="run-reasons">{reasons.map((r) => <option key={r} value={r} />)}</datalist>
      <Select label="Time" value={timeChoice} onChange={(v) => change(v === 'custom'
        ? { window: 'custom' }
        : { window: v || undefined, since: undefined, until: undefined })}>
        <option value="">Any time</option>
        <option value="1h">Last hour</option>
        <option value="24h">Last 24 hours</option>
        <option value="7d">Last 7 days</option>
        <option value="custom">Custom range…</option>
      </Select>
      {timeChoice === 'custom' ? (
        <>
          <DateTimeInput label="Created from" value={query.get('since')} onCommit={(v) => change({ since: v })} />
          <DateTimeInput label="Created until" value={query.get('until')} onCommit={(v) => change({ until: v })} />
        </>
      ) : null}
      {hasFilters(query) ? (
        <button type="button" onClick={() => setQuery(Object.fromEntries(filterKeys.map((k) => [k, undefined])))}>Clear filters</button>
      ) : null}
    </form>
  );
}

/** A labelled select; the label sits beside it, not around it, so its name is the label alone (not the options' text). */
function Select({ label, value, onChange, children }: { label: string; value: string; onChange(v: string): void; children: ReactNode }) {
  const id = useId();
  return (
    <div className="runs-field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>{children}</select>
    </div>
  );
}

/**
 * A text or number field that changes the URL (and so the list) once the person pauses, leaves the
 * field or presses Enter, rather than on every keystroke.
 */
function DeferredInput({ label, value, onCommit, ...rest }: { label: string; value: string; onCommit(v: string | undefined): void } & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  useEffect(() => {
    if (draft === value) return;
    const t = setTimeout(() => onCommit(draft.trim() || undefined), 500);
    return () => clearTimeout(t);
  }, [draft, value]);
  const commit = () => {
    if (draft !== value) onCommit(draft.trim() || undefined);
  };
  const id = useId();
  return (
    <div className="runs-field">
      <label htmlFor={id}>{label}</label>
      <input {...rest} id={id} value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={commit}
        onKeyDown={(e) => { if (e.key === 'Enter') commit(); }} />
    </div>
  );
}

/** A local date and time in the field; an exact instant (ISO, UTC) in the URL and the query. */
function DateTimeInput({ label, value, onCommit }: { label: string; value: string | null; onCommit(iso: string | undefined): void }) {
  const id = useId();
  return (
    <div className="runs-field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="datetime-local" value={toLocalInput(value)}
        onChange={(e) => onCommit(e.target.value ? new Date(e.target.value).toISOString() : undefined)} />
    </div>
  );
}

function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
