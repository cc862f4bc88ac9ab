// /access: what waits for this person (grant requests on connectors they decide, oldest first),
// then the access inventory: per workflow, what it may use and whether it does, and the secrets
// due for rotation. The same inventory downloads as Markdown for a handoff document.
import { useState } from 'react';
import { api } from '../../lib/api';
import type { AccessInventory, OpenGrantRequest } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { useSession } from '../../lib/session';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { GrantActions } from '../connectors/GrantActions';
import { whyNotDecide } from '../connectors/grant-model';
import { InventoryByWorkflow, RotationDue } from './Inventory';
import '../connectors/connectors.css';

export function AccessPage() {
  const { me } = useSession();
  const inventory = useResource(() => api.get<AccessInventory>('/api/access/inventory'), []);
  const [message, setMessage] = useState<string>();
  const inv = inventory.data;
  const owners = new Map(inv?.connectors.map((c) => [c.id, c.owner]) ?? []);
  const byAge = [...(inv?.open_requests ?? [])].sort((a, b) => a.requested_at.localeCompare(b.requested_at));
  const mine = byAge.filter((r) => !whyNotDecide(me, owners.get(r.connector_id) ?? '', { ...r, status: 'requested' }));
  const others = byAge.filter((r) => !mine.includes(r));
  return (
    <>
      <h1>Access</h1>
      <ErrorNote error={inventory.error} />
      {!inv ? (inventory.error ? null : <Loading what="the access inventory" />) : (
        <>
          <section aria-labelledby="access-pending">
            <h2 id="access-pending">Grants to approve</h2>
            <p className="kc-flash" role="status">{message}</p>
            {mine.length === 0 ? <p className="muted">Nothing waits for your decision.</p> : (
              <RequestsTable requests={mine} owners={owners} label="Grants to approve" decide onDone={(text) => { setMessage(text); inventory.reload(); }} />
            )}
            {others.length > 0 ? (
              <>
                <h3>Waiting for someone else</h3>
                <RequestsTable requests={others} owners={owners} label="Requests waiting for someone else" />
              </>
            ) : null}
          </section>
          <section aria-labelledby="access-inventory">
            <h2 id="access-inventory">Access inventory</h2>
            <p className="muted small">
              As of <Ago at={inv.generated_at} />. Approved grants of the workflows you may see; one unused for {inv.unused_after_days} days is flagged, since access
              nobody uses is access nobody needs.
            </p>
            <p className="kc-download">
              <a href="/api/access/inventory?format=markdown" download="access-inventory.md">Download the inventory as Markdown</a>
            </p>
            <InventoryByWorkflow inventory={inv} />
            <h3 id="access-rotation">Secrets due for rotation</h3>
            <RotationDue inventory={inv} />
          </section>
        </>
      )}
    </>
  );
}

function RequestsTable({ requests, owners, label, decide = false, onDone }: {
  requests: OpenGrantRequest[];
  owners: Map<string, string>;
  label: string;
  decide?: boolean;
  onDone?(message: string): void;
}) {
  return (
    <div className="table-wrap">
      <table className="kc-table" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Workflow</th>
            <th scope="col">Connector</th>
            <th scope="col">Scope</th>
            <th scope="col">Asked</th>
            <th scope="col">Reason</th>
            <th scope="col">{decide ? <span className="visually-hidden">Decision</span> : 'Decided by'}</th>
          </tr>
        </thead>
        <tbody>
          {requests.map((r) => (
            <tr key={r.id} data-grant={r.id}>
              <th scope="row"><Link to={`/workflows/${encodeURIComponent(r.workflow_id)}`}>{r.workflow_id}</Link></th>
              <td data-label="Connector"><Link to={`/connectors/${encodeURIComponent(r.connector_id)}`}>{r.connector_id}</Link></td>
              <td data-label="Scope"><code className="scope">{r.scope}</code></td>
              <td data-label="Asked"><div><span className="wrap-anywhere">{r.requested_by}</span> <span className="muted small"><Ago at={r.requested_at} /></span></div></td>
              <td data-label="Reason">{r.reason ? <span className="kc-note">{r.reason}</span> : <span className="muted">none given</span>}</td>
              {decide ? (
                <td data-label="Decision" className="kc-decision">
                  <GrantActions grant={{ ...r, status: 'requested' }} owner={owners.get(r.connector_id) ?? ''} onDone={(_, text) => onDone?.(text)} />
                </td>
              ) : (
                <td data-label="Decided by" className="wrap-anywhere">{owners.get(r.connector_id) ?? 'the owner'} or an admin</td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
