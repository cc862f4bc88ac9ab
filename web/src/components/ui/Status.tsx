// Run, step and task states in one visual language (colour is never the only signal: the word is there).
const tone: Record<string, string> = {
  succeeded: 'good', approved: 'good', edited: 'good', production: 'good', active: 'good', live: 'good',
  failed: 'bad', rejected: 'bad', outcome_unknown: 'bad', expired: 'bad', high: 'bad',
  waiting: 'wait', pending: 'wait', escalated: 'wait', claimed: 'wait', medium: 'wait', paused: 'wait', sandbox: 'wait',
  running: 'busy', queued: 'busy',
};

export function Status({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">none</span>;
  return <span className={`status status-${tone[value] ?? 'plain'}`}>{value.replace(/_/g, ' ')}</span>;
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof Error ? ((error as { detail?: string }).detail ?? error.message) : String(error);
  const e = error as { problems?: { path: string; message: string }[]; hint?: string };
  return (
    <div className="error" role="alert">
      <p>{text}</p>
      {e.problems && e.problems.length > 0 ? (
        <ul>{e.problems.map((p, i) => <li key={i}><code>{p.path}</code>: {p.message}</li>)}</ul>
      ) : null}
      {e.hint ? <p className="muted">{e.hint}</p> : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" role="status">Loading {what}…</p>;
}
