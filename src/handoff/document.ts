// The pack laid out as a document: headings, fields, lists and tables of plain text, built once and
// rendered twice (Markdown and HTML), so both say the same thing in the same order. Nothing here is
// markup: every string is text, and each renderer escapes it for its own format.
import type { HandoffPack } from './schemas.js';

export type Inline = string | { strong: string } | { code: string } | { warn: string };
export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string; id?: string }
  | { kind: 'paragraph'; parts: Inline[] }
  | { kind: 'fields'; rows: Array<[string, Inline[]]> }
  | { kind: 'list'; items: Inline[][]; ordered?: boolean }
  | { kind: 'checklist'; items: Array<{ ok: boolean; label: string; missing?: string }> }
  | { kind: 'table'; head: string[]; rows: string[][] };

const none = '-';
const or = (v: string | number | null | undefined, fallback = none): string => (v === null || v === undefined || v === '' ? fallback : String(v));
const ms = (v: number | null): string => (v === null ? none : v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)} s` : `${Math.round(v)} ms`);
const pct = (v: number | null): string => (v === null ? none : `${v.toFixed(1)} %`);
const usd = (v: number | null): string => (v === null ? none : v === 0 ? '$0' : `$${v.toFixed(v < 1 ? 4 : 2)}`);
const age = (s: number | null): string => (s === null ? none : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);
const day = (v: string | null): string => (v === null ? none : v.slice(0, 16).replace('T', ' '));

export const sectionTitles = [
  'Workflow card', 'Owner map', 'Access inventory', 'Prompts and instructions', 'Monitoring view', 'Runbook', 'Change process',
] as const;

export function packDocument(pack: HandoffPack): Block[] {
  const c = pack.card;
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `Handoff pack: ${c.title}` },
    { kind: 'paragraph', parts: [
      'Workflow ', { code: pack.workflow_id }, `, version ${pack.version.number} (`, { code: pack.version.content_hash.slice(0, 12) },
      `) at stage ${pack.stage}. Generated ${day(pack.generated_at)} UTC${pack.version.source_name ? ` from ${pack.version.source_name}` : ''}.`,
    ] },
    { kind: 'heading', level: 2, text: `Readiness: ${pack.readiness.ready} of ${pack.readiness.total} ready`, id: 'readiness' },
    { kind: 'checklist', items: pack.readiness.items.map((i) => ({ ok: i.ok, label: i.label, missing: i.missing })) },
    ...cardBlocks(pack),
    { kind: 'heading', level: 2, text: sectionTitles[1], id: 'owners' },
    { kind: 'table', head: ['role', 'person', 'owns'], rows: [
      ['quality', or(pack.owners.quality, 'not set'), 'output quality and the evaluation set'],
      ['access', or(pack.owners.access, 'not set'), 'accounts, tokens, grants'],
      ['approvals', or(pack.owners.approvals, 'not set'), 'the review queue and the approval boundary'],
      ['incidents', or(pack.owners.incidents, 'not set'), 'called when a monitor fires or the workflow is paused'],
      ['scope', or(pack.owners.scope, 'not set'), 'what the workflow takes on next'],
    ] },
    ...accessBlocks(pack),
    ...promptBlocks(pack),
    ...monitoringBlocks(pack),
    ...runbookBlocks(pack),
    ...changeBlocks(pack),
  ];
  return blocks;
}

function cardBlocks(pack: HandoffPack): Block[] {
  const c = pack.card;
  const m = c.metric;
  return [
    { kind: 'heading', level: 2, text: sectionTitles[0], id: 'card' },
    { kind: 'fields', rows: [
      ['Title', [c.title]], ['Owner', [c.owner]], ['Team', [or(c.team)]], ['Risk', [c.risk]], ['Kind', [c.kind]],
      ['Description', [or(c.description, 'not written')]],
      ['Metric', m ? [`${m.name}${m.unit ? ` (${m.unit})` : ''}: baseline ${or(m.baseline)}, target ${or(m.target)}${m.measure ? `, measured as ${m.measure}` : m.per_run ? ', reported per run' : ''}`] : [{ warn: 'not set' }]],
    ] },
    { kind: 'heading', level: 3, text: 'Triggers' },
    c.triggers.length > 0 ? { kind: 'list', items: c.triggers.map((t) => [t]) } : { kind: 'paragraph', parts: ['None: runs start only through the API.'] },
    { kind: 'heading', level: 3, text: 'Input contract' },
    { kind: 'list', items: c.input_contract.map((l) => [l]) },
    { kind: 'heading', level: 3, text: 'Steps' },
    { kind: 'list', ordered: true, items: c.steps.map((s) => [{ code: s.id }, ` (${s.kind}): ${s.summary}`]) },
    { kind: 'heading', level: 3, text: 'Systems touched' },
    c.systems.length > 0 ? { kind: 'list', items: c.systems.map((s) => [{ code: s.connector }, `: ${s.uses.join('; ')}`]) } : { kind: 'paragraph', parts: ['None.'] },
    { kind: 'heading', level: 3, text: 'Allowed actions' },
    c.actions.length > 0
      ? { kind: 'table', head: ['step', 'connector', 'action', 'delivery class'], rows: c.actions.map((a) => [a.step, a.connector, a.action, a.delivery]) }
      : { kind: 'paragraph', parts: ['None: the workflow acts on no system.'] },
    { kind: 'heading', level: 3, text: 'Approval boundary' },
    c.approval_boundary.length > 0 ? { kind: 'list', items: c.approval_boundary.map((l) => [l]) } : { kind: 'paragraph', parts: ['None: the workflow takes no action that needs one.'] },
    { kind: 'heading', level: 3, text: 'Exclusions' },
    c.exclusions.length > 0
      ? { kind: 'list', items: c.exclusions.map((e) => (e.escalated_when ? [e.name, ': escalated when ', { code: e.escalated_when }] : [e.name])) }
      : { kind: 'paragraph', parts: [{ warn: 'None listed.' }] },
  ];
}

function accessBlocks(pack: HandoffPack): Block[] {
  const a = pack.access;
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: sectionTitles[2], id: 'access' },
    { kind: 'paragraph', parts: ['Secrets are listed by name, version and rotation date; their values are never part of this pack.'] },
    { kind: 'heading', level: 3, text: 'Scopes the workflow file lists' },
    a.listed.length > 0
      ? { kind: 'table', head: ['connector', 'scope', 'grant', 'live', 'expires'], rows: a.listed.map((l) => [l.connector, l.scope, `${l.grant}${l.grant_id ? ` (${l.grant_id})` : ''}`, l.live ? 'yes' : 'NO', day(l.expires_at)]) }
      : { kind: 'paragraph', parts: ['None.'] },
  ];
  for (const c of a.connectors) {
    blocks.push({ kind: 'heading', level: 3, text: `Connector ${c.id}${c.title ? `: ${c.title}` : ''}` });
    if (!c.exists) {
      blocks.push({ kind: 'paragraph', parts: [{ warn: 'This connector does not exist in Keel.' }] });
      continue;
    }
    const due = c.secrets.filter((s) => s.rotation_due).map((s) => s.name);
    blocks.push({ kind: 'fields', rows: [
      ['Kind', [or(c.kind)]], ['Owner', [or(c.owner)]], ['Credential owner', [or(c.credential_owner)]],
      ['Rotation policy', [c.rotation_days ? `every ${c.rotation_days} days` : 'none set']],
      ['Rotation', due.length > 0 ? [{ warn: `due now: ${due.join(', ')}` }] : ['nothing due']],
      ['Kill switch', [c.paused ? { warn: 'paused: every action through it is refused' } : 'off']],
    ] });
    blocks.push(c.grants.length > 0
      ? { kind: 'table', head: ['grant', 'scope', 'status', 'decided by', 'expires', 'last used', 'uses'], rows: c.grants.map((g) => [
        g.id, g.scope, g.expired ? 'expired' : g.status, or(g.decided_by), day(g.expires_at), g.last_used_at ? day(g.last_used_at) : 'never', String(g.use_count),
      ]) }
      : { kind: 'paragraph', parts: ['The workflow holds no grant here.'] });
    if (c.secrets.length > 0) {
      blocks.push({ kind: 'table', head: ['secret', 'version', 'rotate by', 'due'], rows: c.secrets.map((s) => [s.name, String(s.version), day(s.rotate_by), s.rotation_due ? 'DUE' : 'no']) });
    }
  }
  return blocks;
}

function failureItems(modes: HandoffPack['prompts']['workflow_failure_modes']): Inline[][] {
  return modes.map((f) => [{ strong: f.name }, `: ${f.description}`, ...(f.mitigation ? [` Mitigation: ${f.mitigation}`] : []), ...(f.prompt ? [` (prompt ${f.prompt})`] : [])]);
}

function promptBlocks(pack: HandoffPack): Block[] {
  const p = pack.prompts;
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: sectionTitles[3], id: 'prompts' }];
  if (p.entries.length === 0) blocks.push({ kind: 'paragraph', parts: ['The version pins no library entry.'] });
  for (const e of p.entries) {
    blocks.push({ kind: 'heading', level: 3, text: e.ref });
    blocks.push({ kind: 'fields', rows: [
      ['Pinned version', e.resolved ? [{ code: or(e.id) }, ` (v${or(e.number)}, ${or(e.kind)})`] : [{ warn: `${or(e.id, 'not pinned')}: does not resolve` }]],
      ['Content hash', [e.content_hash ? { code: e.content_hash.slice(0, 16) } : none]],
      ['Labels on it now', [e.labels.length > 0 ? e.labels.join(', ') : 'none (the label it was pinned by has moved on)']],
      ['Description', [or(e.description)]],
      ['Model settings', [`model ${or(e.model, 'default')}${Object.keys(e.parameters).length > 0 ? `; ${Object.entries(e.parameters).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}` : ''}`]],
    ] });
    blocks.push(e.failure_modes.length > 0
      ? { kind: 'list', items: failureItems(e.failure_modes) }
      : { kind: 'paragraph', parts: ['No known failure class is written for this prompt.'] });
  }
  blocks.push({ kind: 'heading', level: 3, text: 'Models by step' });
  blocks.push(p.models.length > 0 ? { kind: 'table', head: ['step', 'kind', 'model', 'instructions'], rows: p.models.map((m) => [m.step, m.kind, m.model, m.source]) } : { kind: 'paragraph', parts: ['No model step.'] });
  blocks.push({ kind: 'heading', level: 3, text: 'Known failure classes of the workflow' });
  blocks.push(p.workflow_failure_modes.length > 0 ? { kind: 'list', items: failureItems(p.workflow_failure_modes) } : { kind: 'paragraph', parts: [pack.prompts.entries.some((e) => e.failure_modes.length > 0) ? 'None beyond those listed under the prompts.' : { warn: 'None written.' }] });
  return blocks;
}

function monitoringBlocks(pack: HandoffPack): Block[] {
  const m = pack.monitoring;
  const bm = m.business_metric;
  const verdict = bm && bm.value !== null ? `${bm.value.toFixed(2)}${bm.unit ? ` ${bm.unit}` : ''} (baseline ${or(bm.baseline)}, target ${or(bm.target)}; ${bm.meets_target ? 'meets the target' : bm.beats_baseline ? 'better than the baseline, short of the target' : 'not better than the baseline'})` : 'no value yet';
  return [
    { kind: 'heading', level: 2, text: sectionTitles[4], id: 'monitoring' },
    { kind: 'paragraph', parts: [`Stage ${pack.stage}, ${day(m.from)} to ${day(m.to)} UTC, from Keel's own figures (the same as GET /api/metrics).`] },
    { kind: 'fields', rows: [
      ['Review queue', [`${m.queue.open} open; oldest waiting ${age(m.queue.oldest_age_seconds)}`]],
      ['Runs ended', [`${m.runs.ended}: ${m.runs.succeeded} succeeded, ${m.runs.failed} failed, ${m.runs.rejected} rejected, ${m.runs.canceled} canceled, ${m.runs.outcome_unknown} outcome unknown`]],
      ['Review outcomes', [`${m.reviews.approved} approved, ${m.reviews.edited} edited, ${m.reviews.rejected} rejected, ${m.reviews.expired} expired (every stage); ${m.reviews.escalated} escalated; override ${pct(m.reviews.override_pct)}`]],
      ['Latency', [`p50 ${ms(m.latency.p50_ms)}, p95 ${ms(m.latency.p95_ms)}`]],
      ['Cost', [`${usd(m.cost.total_usd)} in total, ${usd(m.cost.per_run_usd)} per run; ${m.cost.tokens_in} tokens in, ${m.cost.tokens_out} out`]],
      ['Error classes', [m.error_classes.length > 0 ? m.error_classes.map((e) => `${e.error_class} ${e.runs}`).join(', ') : 'none']],
      ['Business metric', [bm ? `${bm.name}: ${verdict}` : 'none in the file']],
    ] },
    { kind: 'heading', level: 3, text: 'Monitors' },
    m.monitors.length > 0
      ? { kind: 'table', head: ['monitor', 'rule', 'stage', 'stop condition', 'from'], rows: m.monitors.map((x) => [x.name, x.rule, x.stage, x.stop ? 'yes: pauses the stage' : 'no', x.source]) }
      : { kind: 'paragraph', parts: [{ warn: 'No monitor.' }] },
    { kind: 'heading', level: 3, text: 'Open incidents' },
    m.open_incidents.length > 0
      ? { kind: 'table', head: ['incident', 'what', 'stage', 'opened', 'summary'], rows: m.open_incidents.map((i) => [i.id, i.name, i.stage, day(i.opened_at), `${i.summary}${i.paused_stage ? ' (stage paused)' : ''}`]) }
      : { kind: 'paragraph', parts: ['None open.'] },
  ];
}

function runbookBlocks(pack: HandoffPack): Block[] {
  const r = pack.runbook;
  return [
    { kind: 'heading', level: 2, text: sectionTitles[5], id: 'runbook' },
    { kind: 'heading', level: 3, text: 'Deploy path' },
    { kind: 'table', head: ['stage', 'version', 'deployed by', 'deployed at', 'state'], rows: r.deploy_path.map((d) => [
      d.stage, d.version === null ? 'not deployed' : `v${d.version}`, or(d.deployed_by), day(d.deployed_at), d.version === null ? none : d.paused ? `paused: ${or(d.pause_reason)}` : 'running',
    ]) },
    { kind: 'heading', level: 3, text: 'Deployment history' },
    r.history.length > 0
      ? { kind: 'table', head: ['at', 'stage', 'move', 'version', 'from', 'by'], rows: r.history.map((h) => [day(h.at), h.stage, h.action, `v${h.version}`, h.previous_version === null ? none : `v${h.previous_version}`, h.actor]) }
      : { kind: 'paragraph', parts: ['No moves recorded.'] },
    { kind: 'fields', rows: [
      ['Rollback', [r.rollback ?? { warn: 'not written' }]],
      ['Rollback command', [{ code: r.rollback_command }]],
      ['Contacts', [r.contacts.length > 0 ? r.contacts.join(', ') : { warn: 'none' }]],
      ['Next review', r.next_review === null ? [{ warn: 'not set' }] : r.review_due ? [{ warn: `${r.next_review}: due` }] : [r.next_review]],
    ] },
    { kind: 'heading', level: 3, text: 'Stop conditions' },
    r.stop_conditions.length > 0 ? { kind: 'list', items: r.stop_conditions.map((s) => [s]) } : { kind: 'paragraph', parts: [{ warn: 'None written.' }] },
  ];
}

function changeBlocks(pack: HandoffPack): Block[] {
  const c = pack.change_process;
  const open = c.open_change_requests;
  return [
    { kind: 'heading', level: 2, text: sectionTitles[6], id: 'change' },
    { kind: 'fields', rows: [['Who approves a change', [c.approvers.join(', ')]]] },
    { kind: 'list', items: c.rules.map((r) => [r]) },
    { kind: 'heading', level: 3, text: 'Open change requests' },
    open === null
      ? { kind: 'paragraph', parts: ['Change requests are not tracked by this Keel.'] }
      : open.length > 0
        ? { kind: 'table', head: ['request', 'change', 'touches', 'why', 'asked by', 'asked at'], rows: open.map((o) => [
          o.id, `v${o.from_version} to v${o.to_version}`, o.areas.join(', '), o.reason, o.requested_by, day(o.requested_at),
        ]) }
        : { kind: 'paragraph', parts: ['None open.'] },
  ];
}
