// /workflows/ID/gates?to=STAGE: the gate a version passes to enter testing, sandbox or production.
// Every item, met or missing, with what was found or exactly what is missing; the sign-offs with who
// signed, when and what they wrote; a form to sign in one of the gate's roles (the server refuses
// the version's author and a role the person lacks, and the page says so as the server put it);
// and a Promote control that promotes, or lists exactly the items still unmet.
import { useState, type FormEvent } from 'react';
import { api, ApiError, describeError } from '../../lib/api';
import type { Deployment, GateReport, Signoff, SignerRole, Workflow } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link, useLocation } from '../../lib/router';
import { useCan, useSession } from '../../lib/session';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Refusal } from '../../components/ui/Refusal';
import { Ago } from '../../components/ui/Time';
import { WorkflowFrame } from '../workflow/WorkflowNav';
import './promotion.css';

const gated = ['testing', 'sandbox', 'production'] as const;
type GatedStage = (typeof gated)[number];
const before: Record<GatedStage, string> = { testing: 'design', sandbox: 'testing', production: 'sandbox' };

// Every role a gate may name, checked against the server's list so a new one fails the typecheck.
const roleSet = { admin: true, builder: true, approver: true, reviewer: true, owner: true } satisfies Record<SignerRole, true>;
export const signerRoleNames = Object.keys(roleSet) as SignerRole[];

function stageOf(value: string | null): GatedStage {
  return (gated as readonly string[]).includes(value ?? '') ? (value as GatedStage) : 'sandbox';
}

export function GatesPage({ id }: { id: string }) {
  const { query } = useLocation();
  const stage = stageOf(query.get('to'));
  return (
    <WorkflowFrame id={id} title="Gates and promotion">
      {(w) => (
        <>
          <nav className="pm-stages" aria-label="Gate into stage">
            {gated.map((s) => (
              <Link key={s} to={`/workflows/${encodeURIComponent(id)}/gates?to=${s}`} aria-current={s === stage ? 'page' : undefined}>
                {before[s]} → {s}
              </Link>
            ))}
          </nav>
          <Gate key={stage} workflow={w} stage={stage} />
        </>
      )}
    </WorkflowFrame>
  );
}

function Gate({ workflow, stage }: { workflow: Workflow; stage: GatedStage }) {
  const base = `/api/workflows/${encodeURIComponent(workflow.id)}`;
  const gate = useResource(() => api.get<GateReport>(`${base}/gates/${stage}`), [workflow.id, stage]);
  const [promoted, setPromoted] = useState<string>();
  const g = gate.data;
  const notDeployed = gate.error instanceof ApiError && gate.error.code === 'not_deployed';
  return (
    <section aria-labelledby="gate-heading">
      <h2 id="gate-heading">Gate into {stage}</h2>
      {notDeployed ? <p className="notice">{(gate.error as ApiError).detail} {(gate.error as ApiError).hint}</p> : <ErrorNote error={gate.error} />}
      {promoted ? <p className="ok" role="status">{promoted}</p> : null}
      {g === undefined ? (gate.error ? null : <Loading what="the gate" />) : (
        <>
          <p>
            For <strong>v{g.version.number}</strong> (now at {g.from}, written by <span className="wrap-anywhere">{g.version.createdBy}</span>):{' '}
            {g.met
              ? <span className="status status-good">all {g.items.length} items met</span>
              : <span className="status status-bad">{g.items.filter((i) => !i.met).length} of {g.items.length} items missing</span>}
          </p>
          <Checklist report={g} />
          <Signoffs workflowId={workflow.id} report={g} onChange={gate.reload} />
          <SignForm workflowId={workflow.id} report={g} onSigned={gate.reload} />
          <Promote workflowId={workflow.id} report={g} current={workflow.deployments.find((d) => d.stage === stage)}
            onPromoted={(text) => { setPromoted(text); gate.reload(); }} />
        </>
      )}
    </section>
  );
}

function Checklist({ report }: { report: GateReport }) {
  return (
    <div className="table-wrap">
      <table aria-label={`Checklist of the gate into ${report.stage}`} className="pm-checklist">
        <thead><tr><th scope="col">Item</th><th scope="col">State</th><th scope="col">Detail</th></tr></thead>
        <tbody>
          {report.items.map((i) => (
            <tr key={i.id} className={i.met ? undefined : 'pm-missing'}>
              <th scope="row">{i.label}{i.kind === 'signoff' ? <div className="muted small">sign-off</div> : null}</th>
              <td>{i.met ? <span className="status status-good">met</span> : <span className="status status-bad">missing</span>}</td>
              <td className="wrap-anywhere">{i.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Signoffs({ workflowId, report, onChange }: { workflowId: string; report: GateReport; onChange(): void }) {
  const { me } = useSession();
  const [error, setError] = useState<string>();
  const withdraw = async (s: Signoff) => {
    setError(undefined);
    try {
      await api.del(`/api/workflows/${encodeURIComponent(workflowId)}/gates/${report.stage}/signoffs/${s.id}`);
      onChange();
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <section aria-labelledby="signoffs-heading">
      <h3 id="signoffs-heading">Sign-offs</h3>
      <p className="muted small">
        {report.signers.length === 0 ? 'This gate needs no sign-off.' : `Needs the ${report.signers.join(' and the ')} role${report.signers.length === 1 ? '' : 's'}, each a different person, never the author (${report.version.createdBy}).`}
      </p>
      {report.signoffs.length === 0 ? <p className="muted">Nobody has signed v{report.version.number} into {report.stage} yet.</p> : (
        <div className="table-wrap">
          <table aria-label="Sign-offs">
            <thead><tr><th scope="col">Role</th><th scope="col">Signed by</th><th scope="col">When</th><th scope="col">Statement</th><th scope="col"><span className="visually-hidden">Action</span></th></tr></thead>
            <tbody>
              {report.signoffs.map((s) => (
                <tr key={s.id}>
                  <th scope="row">{s.role}</th>
                  <td className="wrap-anywhere">{s.signed_by}</td>
                  <td><Ago at={s.signed_at} /></td>
                  <td className="pm-statement">
                    {s.statement}
                    {s.observed ? <div className="muted small">accepted an error rate of {(s.observed.errorRate * 100).toFixed(1)} % over {s.observed.decided} decided outputs</div> : null}
                  </td>
                  <td>
                    {s.signed_by === me.email || me.roles.includes('admin')
                      ? <button type="button" onClick={() => void withdraw(s)}>Withdraw<span className="visually-hidden"> the {s.role} sign-off of {s.signed_by}</span></button>
                      : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error ? <p className="error" role="alert">{error}</p> : null}
    </section>
  );
}

function SignForm({ workflowId, report, onSigned }: { workflowId: string; report: GateReport; onSigned(): void }) {
  const { me } = useSession();
  const open = report.signers.filter((r) => !report.signoffs.some((s) => s.role === r));
  const mine = open.find((r) => me.roles.includes(r as (typeof me.roles)[number])) ?? open[0] ?? '';
  const [role, setRole] = useState<string>(mine);
  const [statement, setStatement] = useState('');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<unknown>();
  const [signed, setSigned] = useState<string>();
  if (report.signers.length === 0) return null;
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setRefusal(undefined);
    setSigned(undefined);
    try {
      const s = await api.post<Signoff>(`/api/workflows/${encodeURIComponent(workflowId)}/gates/${report.stage}/signoffs`, { version: report.version.id, role, statement });
      setSigned(`Signed as ${s.role}.`);
      setStatement('');
      onSigned();
    } catch (e) {
      setRefusal(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card pm-sign" onSubmit={submit} aria-labelledby="sign-heading">
      <h3 id="sign-heading">Sign v{report.version.number} into {report.stage}</h3>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value)} required>
          {report.signers.map((r) => <option key={r} value={r}>{r}{report.signoffs.some((s) => s.role === r) ? ' (signed)' : ''}</option>)}
        </select>
      </label>
      <label>
        Statement <span className="muted small">(what you checked and accept, in a sentence or more)</span>
        <textarea rows={3} maxLength={2000} value={statement} onChange={(e) => setStatement(e.target.value)} required />
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !role}>{busy ? 'Signing…' : 'Sign'}</button>
      </div>
      {signed ? <p className="ok" role="status">{signed}</p> : null}
      {refusal ? <Refusal error={refusal} title="Not signed" /> : null}
    </form>
  );
}

function Promote({ workflowId, report, current, onPromoted }: { workflowId: string; report: GateReport; current: Deployment | undefined; onPromoted(text: string): void }) {
  const may = useCan('deployments:write');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<unknown>();
  if (!may) return <p className="muted small">Those who may deploy the workflow promote it once the gate is met.</p>;
  const already = current?.version_id === report.version.id;
  async function promote() {
    setBusy(true);
    setRefusal(undefined);
    try {
      const r = await api.post<{ moved: boolean; deployment: Deployment }>(`/api/workflows/${encodeURIComponent(workflowId)}/promote`, { to: report.stage, version: report.version.id });
      onPromoted(r.moved ? `Promoted v${r.deployment.version_number} into ${report.stage}.` : `${report.stage} already runs v${r.deployment.version_number}.`);
    } catch (e) {
      setRefusal(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="promote-heading">
      <h3 id="promote-heading">Promote</h3>
      <p className="muted small">
        {current ? `${report.stage} runs v${current.version_number} now.` : `Nothing runs at ${report.stage} yet.`}
        {already ? ` It already runs v${report.version.number}.` : ''} The gate is judged again when you promote.
      </p>
      <button type="button" className="primary" disabled={busy} onClick={() => void promote()}>
        {busy ? 'Promoting…' : `Promote v${report.version.number} into ${report.stage}`}
      </button>
      {refusal ? <Refusal error={refusal} title="Not promoted" /> : null}
    </section>
  );
}
