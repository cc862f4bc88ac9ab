// A payload as people read it: short values inline, long ones folded behind a summary that says how
// much is hidden. Nothing is cut: opening the fold shows all of it.
import { useState } from 'react';

const inlineLimit = 160;

export function Json({ value, label, open = false }: { value: unknown; label?: string; open?: boolean }) {
  const text = value === undefined ? '' : JSON.stringify(value, null, 2);
  const [expanded, setExpanded] = useState(open);
  if (value === undefined || value === null) return <span className="muted">{value === null ? 'null' : 'none'}</span>;
  if (text.length <= inlineLimit && !text.includes('\n')) return <code className="json-inline">{text}</code>;
  const lines = text.split('\n').length;
  return (
    <div className="json">
      <button type="button" className="link" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
        {expanded ? 'Fold' : 'Show'} {label ?? 'payload'} ({lines} lines, {formatBytes(new TextEncoder().encode(text).length)})
      </button>
      {expanded ? <pre tabIndex={0} aria-label={label ?? 'payload'}>{text}</pre> : <pre className="json-preview" aria-hidden="true">{text.slice(0, inlineLimit)}…</pre>}
    </div>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
