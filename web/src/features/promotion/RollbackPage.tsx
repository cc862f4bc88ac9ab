// /workflows/ID/rollback: each deployed stage with a Roll back control (to the version the stage ran
// before; asked to confirm first, since it changes what runs), and the rollback drills: each with
// its steps, and a Run drill control that rolls sandbox back and forward, checking a run flows each way.
import { useState } from 'react';
import { api, describeError } from '../../lib/api';
import type { Deployment, Drill, VersionSummary, Workflow } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link } from '../../lib/router';
import { useCan } from '../../lib/session';
import { stages } from '../../components/ui/Badges';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { WorkflowFrame } from '../workflow/WorkflowNav';
import { Refusal } from '../../components/ui/Refusal';
import './promotion.css';

export function RollbackPage({ id }: { id: string }) {
  const versions = useResource(() => api.get<{ versions: VersionSummary[] }>(`/api/workflows/${encodeURIComponent(id)}/versions`).then((r) => r.versions), [id]);
  const numberOf = (versionId: string | null) => versions.data?.find((v) => v.id === versionId)?.number;
  return (
    <WorkflowFrame id={id} title="Rollback and drills">
      {(w) => <Content workflow={w} numberOf={numberOf} />}
    </WorkflowFrame>
  );
}

function Content({ workflow, numberOf }: { workflow: Workflow; numberOf(id: string | null): number | undefined }) {
  const [deployments, setDeployments] = useState(workflow.deployments);
  const [done, setDone] = useState<string>();
  const may = useCan('deployments:write');
  return (
    <>
      <section aria-labelledby="rollback-heading">
        <h2 id="rollback-heading">Roll back a stage</h2>
        <p className="muted small">A stage goes back to the version it ran before the current one. Runs in flight finish on their own version; a rollback needs no gate.</p>
        {done ? <p className="ok" role="status">{done}</p> : null}
        <div className="table-wrap">
          <table aria-label="Deployed stages">
            <thead><tr><th scope="col">Stage</th><th scope="col">Version</th><th scope="col">Deployed by</th><th scope="col">Deployed</th><th scope="col"><span className="visually-hidden">Action</span></th></tr></thead>
            <tbody>
              {stages.map((stage) => {
                const d = deployments.find((x) => x.stage === stage);
                return (
                  <tr key={stage}>
                    <th scope="row">{stage}</th>
                    {d ? (
                      <>
                        <td>v{d.version_number}{d.paused ? <> <span className="status status-wait">paused</span></> : null}</td>
                        <td className="wrap-anywhere">{d.deployed_by}</td>
                        <td><Ago at={d.deployed_at} /></td>
                        <td>{may ? <RollBack workflowId={workflow.id} deployment={d} onDone={(after, from) => {
                          setDeployments((all) => all.map((x) => (x.stage === after.stage ? after : x)));
                          setDone(`${after.stage} rolled back from v${from} to v${after.version_number}.`);
                        }} /> : null}</td>
                      </>
                    ) : <td colSpan={4} className="muted">not deployed</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <Drills workflowId={workflow.id} numberOf={numberOf} />
    </>
  );
}

function RollBack({ workflowId, deployment: d, onDone }: { workflowId: string; deployment: Deployment; onDone(after: Deployment, from: number): void }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<unknown>();
  if (!asking) return <button type="button" className="danger" onClick={() => { setAsking(true); setRefusal(undefined); }}>Roll back<span className="visually-hidden"> {d.stage}</span></button>;
  const confirm = async () => {
    setBusy(true);
    setRefusal(undefined);
    try {
      const r = await api.post<{ deployment: Deployment; from: { id: string; number: number } }>(`/api/workflows/${encodeURIComponent(workflowId)}/deployments/${d.stage}/rollback`);
      setAsking(false);
      onDone(r.deployment, r.from.number);
    } catch (e) {
      setRefusal(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="pm-confirm" role="group" aria-label={`Confirm rolling back ${d.stage}`}>
      <p>Roll {d.stage} back from v{d.version_number} to the version it ran before? New runs at {d.stage} start on that version at once.</p>
      <div className="actions">
        <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>{busy ? 'Rolling back…' : `Yes, roll ${d.stage} back`}</button>
        <button type="button" disabled={busy} onClick={() => setAsking(false)}>Cancel</button>
      </div>
      {refusal ? <Refusal error={refusal} title="Not rolled back" /> : null}
    </div>
  );
}

function Drills({ workflowId, numberOf }: { workflowId: string; numberOf(id: string | null): number | undefined }) {
  const drills = useResource(() => api.get<{ drills: Drill[] }>(`/api/workflows/${encodeURIComponent(workflowId)}/drills`).then((r) => r.drills), [workflowId]);
  const may = useCan('deployments:write');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post<Drill>(`/api/workflows/${encodeURIComponent(workflowId)}/drills`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
      drills.reload();
    }
  };
  const v = (id: string | null) => (numberOf(id) !== undefined ? `v${numberOf(id)}` : id ?? 'none');
  return (
    <section aria-labelledby="drills-heading">
      <h2 id="drills-heading">Rollback drills</h2>
      <p className="muted small">A drill rolls sandbox back, checks a run flows on the older version, rolls forward and checks a run flows again. The gate into production asks for a passed drill of the version.</p>
      {may ? (
        <div className="actions">
          <button type="button" className="primary" disabled={busy} onClick={() => void run()}>{busy ? 'Running the drill…' : 'Run drill'}</button>
        </div>
      ) : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
      <ErrorNote error={drills.error} />
      {drills.data === undefined ? (drills.error ? null : <Loading what="the drills" />) : drills.data.length === 0 ? <p className="muted">No drill yet.</p> : (
        <ul className="pm-drills">
          {drills.data.map((d) => (
            <li key={d.id} className="card">
              <p>
                <code>{d.id}</code> <span className={`status status-${d.status === 'passed' ? 'good' : d.status === 'failed' ? 'bad' : 'busy'}`}>{d.status}</span>{' '}
                of {v(d.version_id)}{d.rolled_back_to ? <>, rolled back to {v(d.rolled_back_to)}</> : null}; by <span className="wrap-anywhere">{d.started_by}</span>, <Ago at={d.started_at} />
              </p>
              {d.error ? <p className="runs-message runs-bad">{d.error}</p> : null}
              <ol className="pm-steps" aria-label={`Steps of ${d.id}`}>
                {d.steps.map((s, i) => (
                  <li key={i}>
                    <span className={`status status-${s.ok ? 'good' : 'bad'}`}>{s.ok ? 'ok' : 'failed'}</span> <strong>{s.step}</strong> {s.detail}
                    {s.run ? <> (<Link to={`/runs/${encodeURIComponent(s.run)}`}>run<span className="visually-hidden"> of step {s.step}</span></Link>)</> : null}
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
