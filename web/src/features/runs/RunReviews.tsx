// The people's part of a run: every review task it opened, who decided it, when and why, and for an
// edit what the person changed (an edit or a reject counts as an override of the proposed output).
import type { Review } from '../../lib/api-types';
import { Link } from '../../lib/router';
import { Payload } from './Payload';
import { Status } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';

interface DiffEntry {
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
  lines?: string[];
}

export function RunReviews({ reviews }: { reviews: Review[] }) {
  if (reviews.length === 0) return <p className="muted">No review tasks: nothing in this run needed a person.</p>;
  return (
    <ul className="run-reviews">
      {reviews.map((r) => (
        <li key={r.id} className="card" aria-label={`Review ${r.title ?? r.id}`}>
          <div className="attempt-head">
            <h3><Link to={`/reviews/${encodeURIComponent(r.id)}`}>{r.title ?? `Review ${r.id}`}</Link></h3>
            <Status value={r.state} />
            <span className="muted">step <code>{r.step_id ?? '–'}</code>, reason <code>{r.reason}</code></span>
          </div>
          <dl className="attempt-facts">
            <div><dt>Assigned to</dt><dd>{r.assigned_to ?? (r.assigned_role ? `role ${r.assigned_role}` : '–')}</dd></div>
            <div><dt>Opened</dt><dd><Ago at={r.created_at} /></dd></div>
            {r.decided_at ? (
              <div><dt>Decided</dt><dd>by <strong>{r.decided_by ?? 'unknown'}</strong>, <Ago at={r.decided_at} /></dd></div>
            ) : <div><dt>Decided</dt><dd className="muted">not yet</dd></div>}
            {r.escalation_level > 0 ? <div><dt>Escalated</dt><dd>level {r.escalation_level}</dd></div> : null}
          </dl>
          {r.comment ? <blockquote className="run-review-comment">{r.comment}</blockquote> : null}
          <ReviewDiff diff={r.diff} />
          {r.decided_output !== null && r.decided_output !== undefined ? (
            <div><span className="muted">Output as decided </span><Payload value={r.decided_output} label="decided output" /></div>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** What an edit changed, field by field; multi-line text as marked lines. */
function ReviewDiff({ diff }: { diff: unknown }) {
  if (!Array.isArray(diff) || diff.length === 0) return null;
  const entries = diff as DiffEntry[];
  return (
    <div className="run-review-diff">
      <h4>Edited by the reviewer</h4>
      <ul>
        {entries.map((d, i) => (
          <li key={i}>
            <code>{d.path}</code> {d.change}
            {d.lines ? (
              <pre className="diff">{d.lines.map((l, j) => <div key={j} className={l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : undefined}>{l}</div>)}</pre>
            ) : (
              <div className="row">
                {d.change !== 'added' ? <div className="grow"><span className="muted">before </span><Payload value={d.before} label="value before" /></div> : null}
                {d.change !== 'removed' ? <div className="grow"><span className="muted">after </span><Payload value={d.after} label="value after" /></div> : null}
              </div>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
