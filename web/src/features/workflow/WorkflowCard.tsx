// What a workflow is and may do, from its definition: ownership, triggers, the systems it reaches,
// the actions it may take, the approval boundary, the metric and the runbook. Everything here is
// text the file's author wrote, so it is rendered as text only.
import type { ReactNode } from 'react';
import type { Workflow } from '../../lib/api-types';
import { Risk } from '../../components/ui/Badges';
import { describeTrigger, isPastDate, stepsOf, type Definition } from './definition';
import { EmailTriggerStates, useTriggerStates } from './TriggerStates';
import type { ActionStep, ApprovalSpec, ExclusionSpec, ReviewPolicySpec } from '../../../../src/spec/index.js';

function None({ what }: { what: string }) {
  return <span className="muted">{what}</span>;
}

function List<T>({ items, empty, render }: { items: readonly T[] | undefined; empty: string; render(item: T, i: number): ReactNode }) {
  if (!items || items.length === 0) return <None what={empty} />;
  return <ul className="plain-list">{items.map((item, i) => <li key={i}>{render(item, i)}</li>)}</ul>;
}

export function WorkflowCard({ workflow, definition }: { workflow: Workflow; definition: Definition }) {
  const steps = stepsOf(definition);
  const actions = steps.filter((s): s is ActionStep => s.kind === 'action');
  const external = workflow.kind === 'external';
  // Email triggers keep state (last read, last error, skipped mail) worth showing beside them.
  const triggerStates = useTriggerStates(workflow.id, !external && (definition.triggers ?? []).some((t) => 'email' in t));
  return (
    <div className="wf-grid">
      <section className="card" aria-labelledby="card-owner">
        <h2 id="card-owner">Ownership</h2>
        <dl className="facts">
          <dt>Owner</dt><dd className="wrap-anywhere">{workflow.owner}</dd>
          <dt>Team</dt><dd>{workflow.team ?? <None what="none" />}</dd>
          <dt>Kind</dt><dd>{workflow.kind === 'external' ? 'external: runs elsewhere, reports its runs and asks for reviews through the API' : 'managed: Keel runs it'}</dd>
          <dt>Risk</dt><dd><Risk value={workflow.risk} /></dd>
          {definition.description ? <><dt>About</dt><dd>{definition.description}</dd></> : null}
          <dt>Triggers</dt>
          <dd>
            <List items={definition.triggers} empty={workflow.kind === 'external' ? 'started by the system it runs in' : 'none: started through the API only'} render={(t, i) => (
              <>
                {describeTrigger(t)}
                {'email' in t && !external ? <EmailTriggerStates states={triggerStates} index={i} connector={t.email.connector} /> : null}
              </>
            )} />
          </dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="card-access">
        <h2 id="card-access">Systems and actions</h2>
        <h3>Access</h3>
        <List items={definition.access} empty="no connector access" render={(a) => <><strong>{a.connector}</strong>: {a.scopes.map((s) => <code key={s} className="scope">{s}</code>)}</>} />
        <h3>Actions it may take</h3>
        <List items={actions} empty={external ? 'not declared here: it acts from the system it runs in' : 'none: it takes no action in another system'} render={(a) => <ActionLine step={a} />} />
      </section>

      <section className="card" aria-labelledby="card-metric">
        <h2 id="card-metric">Metric and runbook</h2>
        <dl className="facts">
          <dt>Metric</dt>
          <dd>{definition.metric ? <Metric metric={definition.metric} /> : <None what="none declared" />}</dd>
          {definition.budget ? <><dt>Budget</dt><dd>{budgetText(definition.budget)}</dd></> : null}
          <dt>Rollback</dt><dd>{definition.runbook?.rollback ?? <None what="not written" />}</dd>
          <dt>Stop conditions</dt><dd><List items={definition.runbook?.stop_conditions} empty="none written" render={(s) => s} /></dd>
          <dt>Contacts</dt><dd><List items={definition.runbook?.contacts} empty="none written" render={(s) => <span className="wrap-anywhere">{s}</span>} /></dd>
          <dt>Next review</dt><dd><NextReview day={definition.runbook?.next_review} /></dd>
        </dl>
      </section>
      <section className="card wide" aria-labelledby="card-boundary">
        <h2 id="card-boundary">Approval boundary</h2>
        {external ? (
          <p>It runs elsewhere, so its own system decides when to ask: it sends the cases that need a person through the API (<code>POST /api/workflows/{workflow.id}/reviews</code>), into the same review queue.</p>
        ) : <Boundary approval={definition.approval} risk={workflow.risk} hasActions={actions.length > 0} />}
        <h3>Exclusions</h3>
        <List items={definition.exclusions} empty="none declared" render={(x: ExclusionSpec) => typeof x === 'string' ? x : <>{x.name}: escalated when <code>{x.when}</code></>} />
      </section>
    </div>
  );
}

function ActionLine({ step }: { step: ActionStep }) {
  return (
    <>
      <code>{step.id}</code>: <strong>{step.connector}</strong>.{step.action}
      {' '}<span className={`status status-${step.delivery === 'unsafe' ? 'bad' : 'plain'}`} title={deliveryTitle[step.delivery]}>{step.delivery}</span>
    </>
  );
}

const deliveryTitle: Record<ActionStep['delivery'], string> = {
  idempotent: 'The target honours our idempotency key: effectively once across crashes',
  'check-then-act': 'Keel looks up whether the action already happened before retrying',
  unsafe: 'Neither: after a crash the run goes to outcome unknown and a person reconciles it',
};

function Metric({ metric }: { metric: NonNullable<Definition['metric']> }) {
  const unit = metric.unit ? ` ${metric.unit}` : '';
  return (
    <>
      {metric.name}
      <div className="small">
        baseline {metric.baseline !== undefined ? `${metric.baseline}${unit}` : 'not measured'} → target {metric.target !== undefined ? <strong>{`${metric.target}${unit}`}</strong> : 'not set'}
      </div>
    </>
  );
}

function budgetText(b: NonNullable<Definition['budget']>): string {
  const part = (label: string, l?: { tokens?: number; cost?: number }) =>
    l ? `${label}: ${[l.tokens !== undefined ? `${l.tokens} tokens` : '', l.cost !== undefined ? `$${l.cost}` : ''].filter(Boolean).join(', ')}` : '';
  return [part('per run', b.per_run), part('per day', b.per_day)].filter(Boolean).join('; ');
}

function NextReview({ day }: { day: string | undefined }) {
  if (!day) return <None what="not scheduled" />;
  if (isPastDate(day)) return <span className="overdue"><time dateTime={day}>{day}</time>: past, the review is due</span>;
  return <time dateTime={day}>{day}</time>;
}

function policyText(p: Partial<ReviewPolicySpec> & { role?: string }): string {
  return [
    p.role ? `to ${p.role}` : 'to a reviewer',
    p.due ? `due in ${p.due}` : '',
    p.escalate_to && p.escalate_to.length > 0 ? `then escalates to ${p.escalate_to.join(', then ')}` : '',
    p.deadline ? `deadline ${p.deadline} (then ${p.on_deadline ?? 'reject'})` : '',
    p.quorum && p.quorum > 1 ? `${p.quorum} approvals needed` : '',
  ].filter(Boolean).join('; ');
}

function Boundary({ approval, risk, hasActions }: { approval: ApprovalSpec | undefined; risk: Workflow['risk']; hasActions: boolean }) {
  const fallback = approval?.default ?? (risk === 'high' ? 'review' : 'auto');
  if (!hasActions && !approval) return <p className="muted">None needed: it takes no action in another system, so no output is ever acted on.</p>;
  return (
    <div className="row">
      <div className="wf-half">
        <dl className="facts">
          <dt>Judges</dt><dd>{approval?.output ? <>the output of <code>{approval.output}</code></> : 'the last model or classify step before the first action'}</dd>
          <dt>When no rule matches</dt><dd><strong>{fallback}</strong>{approval?.default ? null : <span className="muted"> (default for {risk} risk)</span>}</dd>
          <dt>Reviews go</dt><dd>{policyText(approval?.review ?? {})}</dd>
        </dl>
        <p className="muted small">
          {hasActions ? 'Judged once per run, before its first action. ' : 'It takes no action, so the boundary is never judged. '}
          In sandbox every output goes to a person; a matched exclusion is always escalated.
        </p>
      </div>
      <div className="wf-half">
        {approval && approval.rules.length > 0 ? (
          <div className="table-wrap">
            <table className="rules">
              <caption className="muted small">Rules, first match wins</caption>
              <thead><tr><th scope="col">When</th><th scope="col">Then</th><th scope="col">Role</th><th scope="col">Reason</th></tr></thead>
              <tbody>
                {approval.rules.map((r, i) => (
                  <tr key={i}>
                    <td><code className="wrap-anywhere">{r.when}</code></td>
                    <td><strong>{r.then}</strong></td>
                    <td>{r.role ?? <None what={r.then === 'escalate' ? 'approver' : r.then === 'review' ? 'reviewer' : '–'} />}</td>
                    <td>{r.reason ?? <None what={r.then === 'auto' ? '–' : 'policy'} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : <p className="muted small">No rules: every judged output gets the default.</p>}
      </div>
    </div>
  );
}
