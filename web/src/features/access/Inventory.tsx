// The access inventory as people read it at a handoff: per workflow, which connector and scope it
// holds, until when, when it was last used and whether it sits unused; and the connectors whose
// secrets are due (or soon due) for rotation, with who holds the credential.
import type { AccessInventory, InventoryConnector, InventoryGrant } from '../../lib/api-types';
import { Link } from '../../lib/router';
import { Expiry, GrantStatus, LastUsed } from '../connectors/GrantsTable';
import { RotateBy } from '../connectors/Rotation';
import { rotationTone } from '../connectors/grant-model';

interface Held extends InventoryGrant {
  connector: InventoryConnector;
}

export function InventoryByWorkflow({ inventory }: { inventory: AccessInventory }) {
  const byWorkflow = new Map<string, Held[]>();
  for (const c of inventory.connectors) {
    for (const g of c.grants) byWorkflow.set(g.workflow_id, [...(byWorkflow.get(g.workflow_id) ?? []), { ...g, connector: c }]);
  }
  const workflows = [...byWorkflow.keys()].sort();
  if (workflows.length === 0) return <p className="muted">No workflow you may see holds a grant on any connector.</p>;
  return (
    <>
      {workflows.map((wf) => {
        const held = byWorkflow.get(wf)!.sort((a, b) => a.connector.id.localeCompare(b.connector.id) || a.scope.localeCompare(b.scope));
        const headingId = `access-wf-${wf}`;
        return (
          <section key={wf} aria-labelledby={headingId}>
            <h3 id={headingId} className="kc-workflow">Workflow <Link to={`/workflows/${encodeURIComponent(wf)}`}>{wf}</Link></h3>
            <div className="table-wrap">
              <table className="kc-table" aria-label={`Access of ${wf}`}>
                <thead>
                  <tr>
                    <th scope="col">Connector</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Status</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Unused {inventory.unused_after_days} days</th>
                  </tr>
                </thead>
                <tbody>
                  {held.map((g) => (
                    <tr key={g.id} data-grant={g.id}>
                      <th scope="row"><Link to={`/connectors/${encodeURIComponent(g.connector.id)}`}>{g.connector.id}</Link> <span className="muted small">{g.connector.kind}</span></th>
                      <td data-label="Scope"><code className="scope">{g.scope}</code></td>
                      <td data-label="Status"><GrantStatus grant={g} /></td>
                      <td data-label="Expires"><Expiry at={g.expires_at} /></td>
                      <td data-label="Last used"><LastUsed at={g.last_used_at} uses={g.use_count} /></td>
                      <td data-label={`Unused ${inventory.unused_after_days} days`}>
                        {g.unused_30d ? <span className="kc-flag">unused: consider revoking</span> : <span className="muted">no</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        );
      })}
    </>
  );
}

export function RotationDue({ inventory }: { inventory: AccessInventory }) {
  const listed = inventory.connectors
    .filter((c) => c.rotation_due || rotationTone(c.next_rotate_by, false) === 'soon')
    .sort((a, b) => Number(b.rotation_due) - Number(a.rotation_due) || (a.next_rotate_by ?? '').localeCompare(b.next_rotate_by ?? ''));
  if (listed.length === 0) return <p className="muted">No secret is past its rotation date or due in the next two weeks.</p>;
  return (
    <div className="table-wrap">
      <table className="kc-table" aria-label="Secrets due for rotation">
        <thead>
          <tr><th scope="col">Connector</th><th scope="col">Credential owner</th><th scope="col">Secrets due</th><th scope="col">Rotation</th></tr>
        </thead>
        <tbody>
          {listed.map((c) => (
            <tr key={c.id} data-connector={c.id}>
              <th scope="row"><Link to={`/connectors/${encodeURIComponent(c.id)}`}>{c.id}</Link> <span className="muted small">{c.title}</span></th>
              <td data-label="Credential owner" className="wrap-anywhere">{c.credential_owner ?? <span className="muted">not named; ask {c.owner}</span>}</td>
              <td data-label="Secrets due">{c.secrets_due.length > 0 ? c.secrets_due.map((s) => <code key={s} className="scope">{s}</code>) : <span className="muted">none yet</span>}</td>
              <td data-label="Rotation"><RotateBy at={c.next_rotate_by} due={c.rotation_due} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
