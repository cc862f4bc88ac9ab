// A refused change, as the server put it: what was refused, each problem, and the hint. A refused
// promotion (gate_not_met) lists the unmet items in words; other problems name their field.
import { ApiError, describeError } from '../../lib/api';

export function Refusal({ error, title }: { error: unknown; title: string }) {
  if (!(error instanceof ApiError)) return <div className="error" role="alert"><p><strong>{title}:</strong> {describeError(error)}</p></div>;
  return (
    <div className="error" role="alert">
      <p><strong>{title}:</strong> {error.detail}</p>
      {error.problems.length > 0 ? <ul>{error.problems.map((p, i) => <li key={i}>{error.code === 'gate_not_met' ? p.message : <><code>{p.path}</code>: {p.message}</>}</li>)}</ul> : null}
      {error.hint ? <p className="muted">{error.hint}</p> : null}
    </div>
  );
}
