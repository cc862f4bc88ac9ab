// /incidents: what monitors opened, open ones first. Each says which workflow, monitor and stage,
// what the monitor saw, when it opened and whether the condition has cleared since, whether its
// stop condition paused the stage, and how its notifications went. Those who may (the workflow's
// operators) acknowledge an incident, with a note; it then moves to the acknowledged list below.
import { useState } from 'react';
import { api, describeError } from '../../lib/api';
import type { Incident, IncidentList } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link, setQuery, useLocation } from '../../lib/router';
import { useCan } from '../../lib/session';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { usePolling } from '../../components/ui/use-polling';
import './incidents.css';

const refreshMs = 10_000;

export function IncidentsPage() {
  const { query } = useLocation();
  const workflow = query.get('workflow') ?? '';
  const incidents = useResource(() => api.get<IncidentList>('/api/incidents', { workflow: workflow || undefined, limit: 300 }).then((r) => r.incidents), [workflow]);
  usePolling(incidents.reload, refreshMs);
  const all = incidents.data;
  const open = all?.filter((i) => i.status === 'open') ?? [];
  const acknowledged = all?.filter((i) => i.status === 'acknowledged') ?? [];
  return (
    <>
      <h1>Incidents</h1>
      <p className="muted small">
        Opened by monitors when a rule starts firing; an incident stays open until someone acknowledges it, whether or not its condition has cleared.
        {workflow ? <> Showing <code>{workflow}</code> only. <button type="button" className="link" onClick={() => setQuery({ workflow: undefined })}>Show every workflow</button></> : null}
      </p>
      <ErrorNote error={incidents.error} />
      {all === undefined ? (incidents.error ? null : <Loading what="incidents" />) : (
        <>
          <section aria-labelledby="open-heading">
            <h2 id="open-heading">Open ({open.length})</h2>
            {open.length === 0 ? <p className="ok">No open incident{workflow ? ` for ${workflow}` : ''}.</p> : <IncidentTable incidents={open} onChange={incidents.reload} />}
          </section>
          <section aria-labelledby="acknowledged-heading">
            <h2 id="acknowledged-heading">Acknowledged ({acknowledged.length})</h2>
            {acknowledged.length === 0 ? <p className="muted">None yet.</p> : <IncidentTable incidents={acknowledged} onChange={incidents.reload} />}
          </section>
        </>
      )}
    </>
  );
}

function IncidentTable({ incidents, onChange }: { incidents: Incident[]; onChange(): void }) {
  const acknowledged = incidents[0]?.status === 'acknowledged';
  return (
    <div className="table-wrap">
      <table className="incidents-table" aria-label={acknowledged ? 'Acknowledged incidents' : 'Open incidents'}>
        <thead>
          <tr>
            <th scope="col">Workflow</th>
            <th scope="col">Monitor</th>
            <th scope="col">What it saw</th>
            <th scope="col">Opened</th>
            <th scope="col">Condition</th>
            <th scope="col">Stage paused</th>
            <th scope="col">Notifications</th>
            <th scope="col">{acknowledged ? 'Acknowledged' : 'Action'}</th>
          </tr>
        </thead>
        <tbody>
          {incidents.map((i) => <IncidentRow key={i.id} incident={i} onChange={onChange} />)}
        </tbody>
      </table>
    </div>
  );
}

function IncidentRow({ incident: i, onChange }: { incident: Incident; onChange(): void }) {
  return (
    <tr data-incident={i.id}>
      <td><Link to={`/workflows/${encodeURIComponent(i.workflow_id)}`}>{i.workflow_id}</Link></td>
      <td>{i.monitor_name}<div className="muted small">at {i.stage}</div></td>
      <td className="incident-summary">{i.summary}</td>
      <td><Ago at={i.opened_at} /></td>
      <td>{i.cleared_at ? <span className="status status-good">cleared</span> : <span className="status status-bad">still holds</span>}
        {i.cleared_at ? <div className="muted small"><Ago at={i.cleared_at} /></div> : null}</td>
      <td>{i.paused_stage ? <span className="status status-wait">paused {i.stage}</span> : <span className="muted">no</span>}</td>
      <td><Notifications incident={i} /></td>
      <td>{i.status === 'acknowledged' ? <AcknowledgedBy incident={i} /> : <Acknowledge incident={i} onDone={onChange} />}</td>
    </tr>
  );
}

const notifyTone = { sent: 'good', pending: 'wait', failed: 'bad' } as const;

function Notifications({ incident: i }: { incident: Incident }) {
  if (i.notifications.length === 0) return <span className="muted">none configured</span>;
  return (
    <ul className="plain-list small">
      {i.notifications.map((n, k) => (
        <li key={k}>
          <code>{n.connector}.{n.action}</code> <span className={`status status-${notifyTone[n.status]}`}>{n.status}</span>
          {n.status !== 'sent' && n.attempts > 0 ? <span className="muted"> after {n.attempts} tr{n.attempts === 1 ? 'y' : 'ies'}</span> : null}
          {n.error ? <div className="runs-message runs-bad">{n.error}</div> : null}
        </li>
      ))}
    </ul>
  );
}

function AcknowledgedBy({ incident: i }: { incident: Incident }) {
  return (
    <>
      <span className="wrap-anywhere">{i.acknowledged_by}</span> <span className="muted small"><Ago at={i.acknowledged_at} /></span>
      {i.note ? <p className="incident-note">{i.note}</p> : null}
    </>
  );
}

function Acknowledge({ incident: i, onDone }: { incident: Incident; onDone(): void }) {
  const may = useCan('deployments:write');
  const [asking, setAsking] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!may) return <span className="muted small">an operator of the workflow acknowledges it</span>;
  const what = `${i.monitor_name} on ${i.workflow_id}`;
  if (!asking) {
    return (
      <button type="button" onClick={() => setAsking(true)}>
        Acknowledge<span className="visually-hidden"> {what}</span>
      </button>
    );
  }
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/api/incidents/${encodeURIComponent(i.id)}/acknowledge`, note.trim() ? { note: note.trim() } : {});
      onDone();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  };
  return (
    <form className="ack-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <label>
        Note <span className="muted small">(optional)</span>
        <textarea rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Acknowledging…' : 'Confirm'}<span className="visually-hidden"> acknowledging {what}</span></button>
        <button type="button" onClick={() => setAsking(false)} disabled={busy}>Cancel</button>
      </div>
      {error ? <p className="error" role="alert">{error}</p> : null}
    </form>
  );
}
