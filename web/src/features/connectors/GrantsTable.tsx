// A connector's grants: which workflow holds (or asked for) which scope, who asked and who decided,
// until when, and when it was last used; the owner decides and revokes from the last column.
import type { Grant } from '../../lib/api-types';
import { Link } from '../../lib/router';
import { Status } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { formatDay } from './grant-model';
import { GrantActions } from './GrantActions';

export function GrantsTable({ grants, owner, onDone }: { grants: Grant[]; owner: string; onDone(updated: Grant, message: string): void }) {
  // Requests waiting for a decision first, then live grants, then the ended ones.
  const order = { requested: 0, approved: 1, rejected: 2, revoked: 3 } as const;
  const sorted = [...grants].sort((a, b) => order[a.status] - order[b.status] || a.workflow_id.localeCompare(b.workflow_id) || a.scope.localeCompare(b.scope));
  return (
    <div className="table-wrap">
      <table className="kc-table kc-grants" aria-label="Grants">
        <thead>
          <tr>
            <th scope="col">Workflow</th>
            <th scope="col">Scope</th>
            <th scope="col">Status</th>
            <th scope="col">Requested by</th>
            <th scope="col">Decided by</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col"><span className="visually-hidden">Decision</span></th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((g) => (
            <tr key={g.id} data-grant={g.id}>
              <th scope="row"><Link to={`/workflows/${encodeURIComponent(g.workflow_id)}`}>{g.workflow_id}</Link></th>
              <td data-label="Scope"><code className="scope">{g.scope}</code></td>
              <td data-label="Status"><GrantStatus grant={g} /></td>
              <td data-label="Requested by">
                <div>
                  <span className="wrap-anywhere">{g.requested_by}</span> <span className="muted small"><Ago at={g.requested_at} /></span>
                  {g.reason ? <div className="small kc-note">“{g.reason}”</div> : null}
                </div>
              </td>
              <td data-label="Decided by">
                <div>
                  {g.decided_by ? <><span className="wrap-anywhere">{g.decided_by}</span> <span className="muted small"><Ago at={g.decided_at} /></span></> : <span className="muted">–</span>}
                  {g.decision_note ? <div className="small kc-note">“{g.decision_note}”</div> : null}
                </div>
              </td>
              <td data-label="Expires"><Expiry at={g.expires_at} /></td>
              <td data-label="Last used"><LastUsed at={g.last_used_at} uses={g.use_count} /></td>
              <td data-label="Decision" className="kc-decision"><GrantActions grant={g} owner={owner} onDone={onDone} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The grant's status; an approved grant past its expiry says so, since it no longer works. */
export function GrantStatus({ grant }: { grant: Pick<Grant, 'status' | 'expires_at'> }) {
  if (grant.status === 'approved' && grant.expires_at && new Date(grant.expires_at).getTime() <= Date.now()) return <Status value="expired" />;
  // A request waits for someone, in the same tone as the other waiting states.
  if (grant.status === 'requested') return <span className="status status-wait">requested</span>;
  return <Status value={grant.status} />;
}

export function Expiry({ at }: { at: string | null }) {
  if (!at) return <span className="muted">no expiry</span>;
  return <time dateTime={at} title={new Date(at).toLocaleString()}>{formatDay(at)}</time>;
}

export function LastUsed({ at, uses }: { at: string | null; uses: number }) {
  if (!at) return <span className="muted">never</span>;
  return <span><Ago at={at} /> <span className="muted small">({uses} use{uses === 1 ? '' : 's'})</span></span>;
}
