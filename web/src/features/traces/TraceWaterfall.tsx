// One trace as a waterfall: a row per span, indented under its parent, with a bar placed on the
// trace's shared time axis. Model calls say their model, tokens and cost; failed spans say why.
// Each span's name opens its attributes, events and resource: payloads are folded behind a control
// that says how much they hold, never cut.
import { useId, useState } from 'react';
import type { Span, Trace } from '../../lib/api-types';
import { Json } from '../../components/ui/Json';
import { formatCost, formatInstant, formatMs } from '../runs/run-format';
import { errorOf, modelUseOf, spanRows, spanTone, type SpanRow } from './span-tree';
import './traces.css';

const ticks = [0, 0.25, 0.5, 0.75, 1];

/** Totals over the trace: its length, spans, failures, and the model calls' tokens and cost. */
export function TraceFacts({ trace }: { trace: Trace }) {
  const { total } = spanRows(trace);
  const models = trace.spans.map(modelUseOf).filter((m) => m !== null);
  const errors = trace.spans.filter((s) => s.status === 'error').length;
  const tokens = models.reduce((n, m) => n + (m.tokensIn ?? 0) + (m.tokensOut ?? 0), 0);
  // Spans sent over OTLP often carry no cost (Keel prices them into the rollups, not the spans).
  const priced = models.filter((m) => m.costUsd !== null);
  const cost = priced.reduce((n, m) => n + (m.costUsd ?? 0), 0);
  return (
    <p className="trace-facts">
      <span><strong>{formatMs(total)}</strong> from the first span's start to the last one's end</span>
      <span>{trace.spans.length} span{trace.spans.length === 1 ? '' : 's'}</span>
      {errors > 0 ? <span className="runs-bad">{errors} failed</span> : <span className="runs-good">none failed</span>}
      {models.length > 0 ? <span>{models.length} model call{models.length === 1 ? '' : 's'}: {tokens} tokens{priced.length > 0 ? `, ${formatCost(cost)}` : ''}</span> : null}
      <span className="muted">started {formatInstant(trace.started_at)}</span>
    </p>
  );
}

export function TraceWaterfall({ trace }: { trace: Trace }) {
  const { rows, total } = spanRows(trace);
  return (
    <div className="waterfall">
      <div className="waterfall-axis" aria-hidden="true">
        <span className="waterfall-axis-label">span</span>
        <div className="waterfall-ticks">
          {ticks.map((t) => <span key={t} className="waterfall-tick" style={{ left: `${t * 100}%` }}>{formatMs(t * total)}</span>)}
        </div>
        <span />
      </div>
      <ol className="waterfall-rows" aria-label="Spans">
        {rows.map((r) => <SpanLine key={r.span.span_id} row={r} total={total} />)}
      </ol>
    </div>
  );
}

function SpanLine({ row, total }: { row: SpanRow; total: number }) {
  const { span, depth, offset, duration } = row;
  const [open, setOpen] = useState(false);
  const id = useId();
  const model = modelUseOf(span);
  const error = errorOf(span);
  const tone = spanTone(span);
  const scale = Math.max(total, 1);
  const left = Math.min(100, (offset / scale) * 100);
  const width = Math.max(0, Math.min(100 - left, (duration / scale) * 100));
  return (
    <li className={`span-row span-${tone}`} aria-label={span.name} data-span={span.name} data-depth={depth}>
      <div className="span-name" style={{ paddingLeft: `${depth * 1.1}rem` }}>
        <button type="button" className="link span-toggle" aria-expanded={open} aria-controls={`${id}-details`} onClick={() => setOpen(!open)}>
          <span aria-hidden="true" className="span-caret">{open ? '▾' : '▸'}</span>{span.name}
        </button>
        {error ? <span className="status status-bad" title={span.status_message ?? undefined}>error</span> : null}
        {model ? (
          <span className="span-model-use small">
            <strong>{model.model ?? 'model'}</strong>
            {model.tokensIn !== null || model.tokensOut !== null ? ` · ${model.tokensIn ?? 0} in / ${model.tokensOut ?? 0} out tokens` : ''}
            {model.costUsd !== null ? ` · ${formatCost(model.costUsd)}` : ''}
          </span>
        ) : null}
        {error ? <div className="span-error-text small">{error}</div> : null}
      </div>
      <div className="span-track" aria-hidden="true">
        <span className="span-bar" style={{ left: `${left}%`, width: `${width}%` }} />
      </div>
      <span className="span-time muted small">+{formatMs(offset)} · {formatMs(duration)}</span>
      {open ? <SpanDetails id={`${id}-details`} span={span} /> : null}
    </li>
  );
}

function SpanDetails({ id, span }: { id: string; span: Span }) {
  const keys = Object.keys(span.attributes).sort();
  return (
    <div className="span-details" id={id}>
      <dl className="facts span-facts">
        <dt>Kind</dt><dd>{span.kind}{span.source === 'otlp' ? ', sent over OTLP' : ''}</dd>
        <dt>Status</dt><dd>{span.status}{span.status_message ? `: ${span.status_message}` : ''}</dd>
        <dt>Started</dt><dd><time dateTime={span.started_at}>{formatInstant(span.started_at)}</time>, lasted {formatMs(span.duration_ms)}</dd>
        <dt>Span id</dt><dd><code>{span.span_id}</code>{span.parent_span_id ? <> under <code>{span.parent_span_id}</code></> : ' (root)'}</dd>
        {span.scope ? <><dt>Scope</dt><dd>{span.scope}</dd></> : null}
      </dl>
      <h4>Attributes ({keys.length})</h4>
      {keys.length === 0 ? <p className="muted small">none</p> : (
        <dl className="facts span-attributes">
          {keys.map((k) => <Attribute key={k} name={k} value={span.attributes[k]} />)}
        </dl>
      )}
      {span.events && span.events.length > 0 ? (
        <>
          <h4>Events ({span.events.length})</h4>
          <ul className="plain-list small">
            {span.events.map((e, i) => (
              <li key={i}><strong>{e.name}</strong> <span className="muted">{formatInstant(e.time)}</span>{e.attributes ? <Json value={e.attributes} label={`attributes of ${e.name}`} /> : null}</li>
            ))}
          </ul>
        </>
      ) : null}
      {span.resource ? <><h4>Resource</h4><Json value={span.resource} label="resource" /></> : null}
    </div>
  );
}

/** Text this long or longer is folded (its length said), as are JSON payloads over the Json fold. */
const foldChars = 200;

function Attribute({ name, value }: { name: string; value: Span['attributes'][string] | undefined }) {
  return (
    <>
      <dt><code>{name}</code></dt>
      <dd><AttributeValue name={name} value={value} /></dd>
    </>
  );
}

function AttributeValue({ name, value }: { name: string; value: Span['attributes'][string] | undefined }) {
  if (value === undefined || value === null) return <span className="muted">null</span>;
  if (typeof value !== 'string') return Array.isArray(value) ? <Json value={value} label={name} /> : <code>{String(value)}</code>;
  const parsed = parseJson(value);
  if (parsed !== undefined) return <Json value={parsed} label={name} />;
  if (value.length < foldChars && !value.includes('\n')) return <span className="wrap-anywhere">{value}</span>;
  return (
    <details className="span-fold">
      <summary>Show {name} ({value.length} characters)</summary>
      <pre tabIndex={0} aria-label={name}>{value}</pre>
    </details>
  );
}

/** A JSON object or array written as a string (payload attributes are), else undefined. */
function parseJson(text: string): unknown {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
