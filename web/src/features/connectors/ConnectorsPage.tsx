// /connectors: every configured source system, who owns it, what its actions need, its secrets'
// rotation dates (names and dates only: no answer the page reads holds a value) and where it may
// send. Each links to its own page with the grants.
import { api } from '../../lib/api';
import type { Connector } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { useCan } from '../../lib/session';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { RotateBy } from './Rotation';
import './connectors.css';

export function ConnectorsPage() {
  const connectors = useResource(() => api.get<{ connectors: Connector[] }>('/api/connectors').then((r) => r.connectors), []);
  const list = connectors.data;
  const canCreate = useCan('connectors:write');
  return (
    <>
      <div className="kc-head">
        <h1>Connectors</h1>
        {canCreate ? <Link to="/connectors/new" className="button">New connector</Link> : null}
      </div>
      <p className="muted small">
        The source systems workflows may act on. A workflow uses a connector only through a grant its owner approved; see <Link to="/access">Access</Link> for
        the grants and the requests waiting.
      </p>
      <ErrorNote error={connectors.error} />
      {list === undefined ? (connectors.error ? null : <Loading what="connectors" />) : list.length === 0 ? (
        <p className="notice">No connector is configured yet. Describe one in <code>connectors/*.yaml</code> and restart Keel{canCreate ? ', or create one with New connector' : ''}.</p>
      ) : (
        <>
          <p className="muted small" role="status">{list.length} connector{list.length === 1 ? '' : 's'}</p>
          <ConnectorsTable connectors={list} />
        </>
      )}
    </>
  );
}

function ConnectorsTable({ connectors }: { connectors: Connector[] }) {
  return (
    <div className="table-wrap">
      <table className="kc-table" aria-label="Connectors">
        <thead>
          <tr>
            <th scope="col">Connector</th>
            <th scope="col">Kind</th>
            <th scope="col">Owner</th>
            <th scope="col" className="num">Actions</th>
            <th scope="col">Scopes</th>
            <th scope="col">Secrets</th>
            <th scope="col" title="Hosts this connector may reach even at a private or loopback address">Allow-listed hosts</th>
          </tr>
        </thead>
        <tbody>
          {connectors.map((c) => (
            <tr key={c.id} data-connector={c.id}>
              <th scope="row">
                <Link to={`/connectors/${encodeURIComponent(c.id)}`}><code>{c.id}</code></Link>
                <div className="small">{c.title}</div>
                {!c.config_valid ? <div className="status status-bad">config does not parse</div> : null}
              </th>
              <td data-label="Kind">{c.kind}</td>
              <td data-label="Owner" className="wrap-anywhere">{c.owner}</td>
              <td data-label="Actions" className="num">{c.actions.length}</td>
              <td data-label="Scopes"><Scopes scopes={[...new Set(c.actions.map((a) => a.scope))]} /></td>
              <td data-label="Secrets">
                {c.secrets.length === 0 ? <span className="muted">none</span> : (
                  <ul className="kc-plain">
                    {c.secrets.map((s) => <li key={s.name}><code>{s.name}</code> v{s.version} · <RotateBy at={s.rotate_by} due={s.rotation_due} /></li>)}
                  </ul>
                )}
              </td>
              <td data-label="Allow-listed hosts">
                {c.allow_hosts.length === 0 ? <span className="muted">none</span> : (
                  <ul className="kc-plain">{c.allow_hosts.map((h) => <li key={h}><code>{h}</code></li>)}</ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Scopes({ scopes }: { scopes: string[] }) {
  if (scopes.length === 0) return <span className="muted">none</span>;
  return <span className="kc-scopes">{scopes.map((s) => <code key={s} className="scope">{s}</code>)}</span>;
}
