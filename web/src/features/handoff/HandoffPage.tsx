// /workflows/ID/handoff: the handoff pack the workflow's next people need. First the readiness
// checklist (N of M ready, and what exactly is missing for each item that is not), then the pack's
// sections: card, owner map, access, prompts and failure modes, monitoring, runbook and change
// process. The same pack downloads as Markdown or opens as a self-contained HTML page.
import type { ReactNode } from 'react';
import { api, withQuery } from '../../lib/api';
import type { HandoffPack } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { setQuery, useLocation } from '../../lib/router';
import { stages } from '../../components/ui/Badges';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { formatLatency, formatPct, formatUsd } from '../metrics/metric-format';
import { WorkflowFrame } from '../workflow/WorkflowNav';
import './handoff.css';

export function HandoffPage({ id }: { id: string }) {
  const { query } = useLocation();
  const stage = stages.find((s) => s === query.get('stage'));
  const path = `/api/workflows/${encodeURIComponent(id)}/handoff`;
  const pack = useResource(() => api.get<HandoffPack>(path, { stage }), [id, stage]);
  const p = pack.data;
  return (
    <WorkflowFrame id={id} title="Handoff pack">
      {() => (
        <>
          <div className="filters">
            <label>
              Stage described
              <select value={stage ?? ''} onChange={(e) => setQuery({ stage: e.target.value })}>
                <option value="">highest deployed</option>
                {stages.map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            </label>
            <a className="button" href={withQuery(path, { format: 'markdown', stage })} download>Download Markdown</a>
            <a className="button" href={withQuery(path, { format: 'html', stage })} target="_blank" rel="noopener">Open the HTML page<span className="visually-hidden"> (opens in a new tab)</span></a>
          </div>
          <ErrorNote error={pack.error} />
          {p === undefined ? (pack.error ? null : <Loading what="the handoff pack" />) : <Pack pack={p} />}
        </>
      )}
    </WorkflowFrame>
  );
}

function Pack({ pack: p }: { pack: HandoffPack }) {
  const missing = p.readiness.items.filter((i) => !i.ok);
  return (
    <>
      <p className="muted small">
        {p.workflow_id} at {p.stage}, v{p.version.number} <code title={p.version.content_hash}>{p.version.content_hash.slice(0, 8)}</code>
        {p.version.source_name ? ` from ${p.version.source_name}` : ''}; made <Ago at={p.generated_at} />.
      </p>
      <section aria-labelledby="readiness-heading" className="card">
        <h2 id="readiness-heading">Readiness: {p.readiness.ready} of {p.readiness.total} ready</h2>
        <progress className="ho-bar" aria-label="Readiness" max={Math.max(p.readiness.total, 1)} value={p.readiness.ready} />
        {missing.length === 0 ? <p className="ok">Every item is ready: the pack can be handed over.</p> : null}
        <ul className="ho-checklist" aria-label="Readiness checklist">
          {p.readiness.items.map((i) => (
            <li key={i.id}>
              <span className={`status status-${i.ok ? 'good' : 'bad'}`}>{i.ok ? 'ready' : 'missing'}</span> {i.label}
              {!i.ok && i.missing ? <div className="ho-missing">{i.missing}</div> : null}
            </li>
          ))}
        </ul>
      </section>
      <Card pack={p} />
      <Section id="owners" title="Owner map">
        <dl className="facts">{Object.entries(p.owners).map(([role, who]) => <Fact key={role} label={role}>{who ?? <span className="runs-bad">not named</span>}</Fact>)}</dl>
      </Section>
      <Access pack={p} />
      <Prompts pack={p} />
      <Monitoring pack={p} />
      <Runbook pack={p} />
      <Section id="change-process" title="Change process">
        <dl className="facts">
          <Fact label="Approvers">{p.change_process.approvers.join(', ') || <span className="muted">none named</span>}</Fact>
          <Fact label="Rules"><List items={p.change_process.rules} /></Fact>
          <Fact label="Open change requests">
            {p.change_process.open_change_requests === null ? <span className="muted">not tracked</span> : p.change_process.open_change_requests.length === 0 ? 'none' : (
              <ul className="plain-list">{p.change_process.open_change_requests.map((c) => <li key={c.id}><code>{c.id}</code> v{c.from_version} → v{c.to_version} ({c.areas.join(', ')}), {c.status}, by {c.requested_by}: {c.reason}</li>)}</ul>
            )}
          </Fact>
        </dl>
      </Section>
    </>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`ho-${id}`}>
      <h2 id={`ho-${id}`}>{title}</h2>
      {children}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return <><dt>{label}</dt><dd>{children}</dd></>;
}

function List({ items }: { items: string[] }) {
  return items.length === 0 ? <span className="muted">none</span> : <ul className="plain-list">{items.map((x, i) => <li key={i}>{x}</li>)}</ul>;
}

function Card({ pack: p }: { pack: HandoffPack }) {
  const c = p.card;
  return (
    <Section id="card" title="Workflow card">
      <dl className="facts">
        <Fact label="Title">{c.title} ({c.kind}, {c.risk} risk)</Fact>
        <Fact label="Owner">{c.owner}{c.team ? `, team ${c.team}` : ''}</Fact>
        {c.description ? <Fact label="Description"><span className="ho-text">{c.description}</span></Fact> : null}
        <Fact label="Triggers"><List items={c.triggers} /></Fact>
        <Fact label="Input"><List items={c.input_contract} /></Fact>
        <Fact label="Steps"><List items={c.steps.map((s) => `${s.id} (${s.kind}): ${s.summary}`)} /></Fact>
        <Fact label="Systems"><List items={c.systems.map((s) => `${s.connector}: ${s.uses.join(', ')}`)} /></Fact>
        <Fact label="Actions"><List items={c.actions.map((a) => `${a.step}: ${a.connector}.${a.action} (${a.delivery})`)} /></Fact>
        <Fact label="Approval boundary"><List items={c.approval_boundary} /></Fact>
        <Fact label="Metric">{c.metric ? `${c.metric.name}: baseline ${c.metric.baseline ?? '–'}, target ${c.metric.target ?? '–'}${c.metric.unit ? ` ${c.metric.unit}` : ''}` : <span className="muted">none</span>}</Fact>
        <Fact label="Exclusions"><List items={c.exclusions.map((e) => (e.escalated_when ? `${e.name} (escalated when ${e.escalated_when})` : e.name))} /></Fact>
      </dl>
    </Section>
  );
}

function Access({ pack: p }: { pack: HandoffPack }) {
  return (
    <Section id="access" title="Access">
      {p.access.listed.length === 0 ? <p className="muted">The workflow lists no access.</p> : (
        <div className="table-wrap">
          <table aria-label="Access the workflow lists">
            <thead><tr><th scope="col">Connector</th><th scope="col">Scope</th><th scope="col">Grant</th><th scope="col">Expires</th></tr></thead>
            <tbody>
              {p.access.listed.map((a) => (
                <tr key={`${a.connector} ${a.scope}`}>
                  <th scope="row">{a.connector}</th><td><code>{a.scope}</code></td>
                  <td><span className={`status status-${a.live ? 'good' : 'bad'}`}>{a.grant}{a.live ? '' : ', not live'}</span></td>
                  <td>{a.expires_at ? new Date(a.expires_at).toLocaleDateString() : <span className="muted">never</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {p.access.connectors.length > 0 ? (
        <ul className="plain-list small">
          {p.access.connectors.map((c) => (
            <li key={c.id}>
              <strong>{c.title ?? c.id}</strong> {c.exists ? `(${c.kind}, owner ${c.owner ?? 'none'}${c.credential_owner ? `, credentials ${c.credential_owner}` : ''}${c.paused ? ', paused' : ''})` : '(missing)'}
              {c.secrets.length ? `; secrets: ${c.secrets.map((s) => `${s.name} v${s.version}${s.rotation_due ? ' (rotation due)' : ''}`).join(', ')}` : ''}
            </li>
          ))}
        </ul>
      ) : null}
    </Section>
  );
}

function Prompts({ pack: p }: { pack: HandoffPack }) {
  const modes = [...p.prompts.entries.flatMap((e) => e.failure_modes.map((m) => ({ ...m, where: e.name }))), ...p.prompts.workflow_failure_modes.map((m) => ({ ...m, where: 'workflow' }))];
  return (
    <Section id="prompts" title="Prompts, models and failure modes">
      <dl className="facts">
        <Fact label="Prompts"><List items={p.prompts.entries.map((e) => `${e.ref}${e.resolved ? ` → ${e.name} v${e.number ?? '?'}` : ' (not resolved)'}${e.labels.length ? ` [${e.labels.join(', ')}]` : ''}`)} /></Fact>
        <Fact label="Models"><List items={p.prompts.models.map((m) => `${m.step} (${m.kind}): ${m.model}, ${m.source}`)} /></Fact>
        <Fact label="Failure modes"><List items={modes.map((m) => `${m.name} (${m.where}): ${m.description}${m.mitigation ? `; mitigation: ${m.mitigation}` : ''}`)} /></Fact>
      </dl>
    </Section>
  );
}

function Monitoring({ pack: p }: { pack: HandoffPack }) {
  const m = p.monitoring;
  return (
    <Section id="monitoring" title="Monitoring">
      <p className="muted small">From <Ago at={m.from} /> to <Ago at={m.to} />.</p>
      <dl className="facts">
        <Fact label="Runs">{m.runs.ended} ended: {m.runs.succeeded} succeeded, {m.runs.failed} failed, {m.runs.rejected} rejected, {m.runs.outcome_unknown} outcome unknown</Fact>
        <Fact label="Reviews">{m.reviews.approved} approved, {m.reviews.edited} edited, {m.reviews.rejected} rejected; override {formatPct(m.reviews.override_pct)}</Fact>
        <Fact label="Review queue">{m.queue.open} open{m.queue.oldest_age_seconds !== null ? `, oldest ${formatLatency(m.queue.oldest_age_seconds * 1000)}` : ''}</Fact>
        <Fact label="Latency">p50 {formatLatency(m.latency.p50_ms)}, p95 {formatLatency(m.latency.p95_ms)}</Fact>
        <Fact label="Cost">{formatUsd(m.cost.total_usd)} ({formatUsd(m.cost.per_run_usd)} a run)</Fact>
        <Fact label="Monitors"><List items={m.monitors.map((x) => `${x.name} at ${x.stage}: ${x.rule}${x.stop ? ' (stop condition)' : ''}`)} /></Fact>
        <Fact label="Open incidents"><List items={m.open_incidents.map((i) => `${i.name} at ${i.stage}: ${i.summary}`)} /></Fact>
      </dl>
    </Section>
  );
}

function Runbook({ pack: p }: { pack: HandoffPack }) {
  const r = p.runbook;
  return (
    <Section id="runbook" title="Runbook">
      <dl className="facts">
        <Fact label="Deployed"><List items={r.deploy_path.map((d) => `${d.stage}: ${d.version !== null ? `v${d.version}` : 'not deployed'}${d.paused ? ' (paused)' : ''}`)} /></Fact>
        <Fact label="Rollback">{r.rollback ?? <span className="runs-bad">not written</span>} <div className="small"><code>{r.rollback_command}</code></div></Fact>
        <Fact label="Stop conditions"><List items={r.stop_conditions} /></Fact>
        <Fact label="Contacts"><List items={r.contacts} /></Fact>
        <Fact label="Next review">{r.next_review ?? <span className="runs-bad">not set</span>}{r.review_due ? <strong className="runs-bad"> (due)</strong> : null}</Fact>
      </dl>
    </Section>
  );
}
