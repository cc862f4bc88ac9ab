// /connectors/{id}: one connector: who owns it, its actions with the scope each needs and how it
// survives a crash, its secrets' metadata (never a value: the API has none to give), and the
// grants of workflows on it, decided here by its owner or an admin.
import { useState } from 'react';
import { api } from '../../lib/api';
import type { ConnectorDetail } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { decidesFor, formatDay } from './grant-model';
import { SecretForm, secretNamesOf } from './SecretForm';
import { ConnectorEdit } from './ConnectorEdit';
import { useSession } from '../../lib/session';
import { GrantsTable } from './GrantsTable';
import { RotateBy } from './Rotation';
import './connectors.css';

const deliveryTitle: Record<string, string> = {
  idempotent: 'Safe to repeat: a retry after a crash does not act twice',
  'check-then-act': 'After a crash Keel checks whether it already happened before acting again',
  unsafe: 'A retry after a crash could act twice; an interrupted call ends outcome unknown',
};

export function ConnectorPage({ id }: { id: string }) {
  const connector = useResource(() => api.get<ConnectorDetail>(`/api/connectors/${encodeURIComponent(id)}`), [id]);
  const [message, setMessage] = useState<string>();
  const { me } = useSession();
  const c = connector.data;
  return (
    <>
      <p className="runs-back"><Link to="/connectors">← All connectors</Link></p>
      <ErrorNote error={connector.error} />
      {!c ? (connector.error ? null : <Loading what="the connector" />) : (
        <>
          <h1>{c.title}</h1>
          <p className="muted"><code>{c.id}</code> · {c.kind}{c.kind_description ? `: ${c.kind_description}` : ''}</p>
          <ConnectorEdit connector={c} onSaved={connector.reload} />
          {!c.config_valid ? <p className="error" role="note">Its configuration does not parse for a {c.kind} connector: every call to it fails until {c.source === 'file' ? 'its file is fixed' : 'it is changed'}.</p> : null}
          <div className="kc-grid">
            <section className="card" aria-labelledby="kc-about">
              <h2 id="kc-about">Ownership</h2>
              <dl className="facts">
                <dt>Owner</dt><dd className="wrap-anywhere">{c.owner} <span className="muted small">decides its grants</span></dd>
                <dt>Credential owner</dt><dd className="wrap-anywhere">{c.credential_owner ?? <span className="muted">not named</span>}</dd>
                <dt>Rotation</dt><dd>{c.rotation_days ? `every ${c.rotation_days} days` : <span className="muted">no rotation period</span>}</dd>
                <dt>Allow-listed hosts</dt><dd>{c.allow_hosts.length === 0 ? <span className="muted">none</span> : c.allow_hosts.map((h) => <code key={h} className="scope">{h}</code>)}</dd>
                <dt>Defined</dt><dd>{c.source === 'file' ? 'in a connectors/*.yaml file' : 'through the API'}, changed <Ago at={c.updated_at} /></dd>
              </dl>
              <details className="kc-config">
                <summary>Configuration (secret names only)</summary>
                <pre tabIndex={0} aria-label="Configuration">{JSON.stringify(c.config, null, 2)}</pre>
              </details>
            </section>
            <section className="card" aria-labelledby="kc-secrets">
              <h2 id="kc-secrets">Secrets</h2>
              <p className="muted small">Names, versions and dates only: secret values are sealed in Keel and never shown.</p>
              {c.secrets.length === 0 ? <p className="muted">No secret is stored for it.</p> : (
                <div className="table-wrap">
                  <table aria-label="Secrets">
                    <thead><tr><th scope="col">Name</th><th scope="col">Version</th><th scope="col">Rotated</th><th scope="col">Rotation due</th></tr></thead>
                    <tbody>
                      {c.secrets.map((s) => (
                        <tr key={s.name}>
                          <td><code>{s.name}</code></td>
                          <td>v{s.version}</td>
                          <td><time dateTime={s.created_at} title={new Date(s.created_at).toLocaleString()}>{formatDay(s.created_at)}</time></td>
                          <td><RotateBy at={s.rotate_by} due={s.rotation_due} /></td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              <MissingSecrets names={secretNamesOf(c.config).filter((n) => !c.secrets.some((s) => s.name === n))} />
              {decidesFor(me, c.owner) ? <SecretForm key={secretNamesOf(c.config).join()} connector={c} onStored={(text) => { setMessage(text); connector.reload(); }} /> : null}
            </section>
          </div>
          <section aria-labelledby="kc-actions">
            <h2 id="kc-actions">Actions</h2>
            <div className="table-wrap">
              <table aria-label="Actions" className="kc-table">
                <thead><tr><th scope="col">Action</th><th scope="col">Scope a grant must give</th><th scope="col">Delivery</th><th scope="col">Effect</th></tr></thead>
                <tbody>
                  {c.actions.map((a) => (
                    <tr key={a.name}>
                      <th scope="row"><code>{a.name}</code></th>
                      <td data-label="Scope"><code className="scope">{a.scope}</code></td>
                      <td data-label="Delivery" title={a.delivery ? deliveryTitle[a.delivery] : undefined}>{a.delivery ?? <span className="muted">unknown (config does not parse)</span>}</td>
                      <td data-label="Effect">{a.side_effect ? 'side effect: changes the source system' : 'read only'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section aria-labelledby="kc-grants">
            <h2 id="kc-grants">Grants</h2>
            <p className="kc-flash" role="status">{message}</p>
            {c.grants.length === 0 ? (
              <p className="muted">No workflow has asked for access to it. A builder asks with <code>keel access request WORKFLOW {c.id} SCOPE</code>.</p>
            ) : (
              <GrantsTable grants={c.grants} owner={c.owner} onDone={(_, text) => { setMessage(text); connector.reload(); }} />
            )}
          </section>
        </>
      )}
    </>
  );
}

/** Secrets its config names that have no stored value yet: every call needing one fails until it is stored. */
function MissingSecrets({ names }: { names: string[] }) {
  if (names.length === 0) return null;
  return (
    <p className="notice">
      No value is stored yet for {names.map((n, i) => <span key={n}>{i > 0 ? ', ' : ''}<code>{n}</code></span>)}: calls that need it fail until one is.
    </p>
  );
}
