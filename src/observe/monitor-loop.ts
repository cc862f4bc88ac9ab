// The monitor loop: one process (leader) evaluates every rule on a schedule, records the verdicts,
// opens and clears incidents, pauses the stage when a stop condition fires, and sends each new
// incident through the connector actions its rule names (retried on later passes, five tries).
import type { ConnectorRuntimeDeps } from '../connectors/index.js';
import { invokeAction } from '../connectors/index.js';
import type { Db } from '../db/index.js';
import { evaluateJsonata } from '../engine/index.js';
import { coerceError } from '../errors.js';
import type { Stage } from '../registry/index.js';
import { incidentsToNotify, markIncidentPaused, recordVerdict, saveNotifications, type IncidentRow } from './incidents.js';
import { createLeaderLoop, type LeaderLoop } from './leader-loop.js';
import { evaluateRule, listMonitorRules, type MonitorRule } from './monitor-rules.js';

const monitorLockKey = 7_346_006;
const maxNotifyAttempts = 5;

export interface MonitorLoopOptions {
  db: Db;
  tickMs: number;
  connectors: ConnectorRuntimeDeps;
  /** Pauses a stage (registry setPaused); injected so this slice does not own deployments. */
  pauseStage(input: { workflowId: string; stage: Stage; actor: string; reason: string }): Promise<void>;
  /** The time rules are judged at; tests run a fake clock. */
  clock?: () => Date;
  onError(message: string, error: unknown): void;
}

export interface MonitorPass {
  evaluated: number;
  opened: IncidentRow[];
  paused: Array<{ workflowId: string; stage: string }>;
  notified: number;
}

export interface MonitorLoop extends LeaderLoop {
  /** One evaluation of every rule, then the pending notifications. */
  pass(): Promise<MonitorPass>;
}

export function createMonitorLoop(options: MonitorLoopOptions): MonitorLoop {
  const { db } = options;
  const clock = options.clock ?? (() => new Date());

  async function judge(rule: MonitorRule, now: Date, result: MonitorPass): Promise<void> {
    const verdict = await evaluateRule(db, rule, now);
    const incident = await db.transaction((tx) => recordVerdict(tx, rule, verdict, now));
    result.evaluated += 1;
    if (!incident) return;
    result.opened.push(incident);
    if (!rule.rule.stop) return;
    // After the incident is stored: a pause that fails is reported, and the incident still shows.
    await options.pauseStage({
      workflowId: rule.workflowId, stage: rule.rule.stage as Stage, actor: `monitor:${rule.key}`,
      reason: `Stop condition "${rule.rule.name}" fired: ${verdict.summary}`,
    });
    await markIncidentPaused(db, incident.id);
    result.paused.push({ workflowId: rule.workflowId, stage: rule.rule.stage });
  }

  async function pass(): Promise<MonitorPass> {
    const now = clock();
    const result: MonitorPass = { evaluated: 0, opened: [], paused: [], notified: 0 };
    const rules = await listMonitorRules(db);
    for (const rule of rules) {
      try {
        await judge(rule, now, result);
      } catch (error) {
        // One broken rule must not keep the others from being judged.
        options.onError(`monitor ${rule.key} could not be evaluated`, error);
      }
    }
    result.notified = await notifyPending(now, new Map(rules.map((r) => [r.key, r])));
    return result;
  }

  async function notifyPending(now: Date, rules: ReadonlyMap<string, MonitorRule>): Promise<number> {
    let sent = 0;
    for (const incident of await incidentsToNotify(db, 50)) {
      const rule = rules.get(incident.monitor_key);
      const notifications = [...incident.notifications];
      for (const [index, n] of notifications.entries()) {
        if (n.status !== 'pending') continue;
        // The rule as it is now; a rule since removed from its file sends the bare incident.
        const fields = rule?.rule.notify[index]?.with ?? {};
        try {
          const input = await notifyInput(fields, incident);
          await invokeAction(options.connectors, {
            workflowId: incident.workflow_id, actor: `monitor:${incident.monitor_key}`, connectorId: n.connector, action: n.action, input,
            idempotencyKey: `${incident.id}:${index}`, signal: AbortSignal.timeout(30_000), intercept: false,
          });
          notifications[index] = { ...n, status: 'sent', attempts: n.attempts + 1, sent_at: now.toISOString() };
          sent += 1;
        } catch (error) {
          const e = coerceError(error);
          const attempts = n.attempts + 1;
          notifications[index] = { ...n, attempts, status: attempts >= maxNotifyAttempts || !e.retriable ? 'failed' : 'pending', error: `${e.code}: ${e.message}` };
          options.onError(`incident ${incident.id} could not be sent through ${n.connector}.${n.action}`, e);
        }
      }
      await saveNotifications(db, incident.id, notifications);
    }
    return sent;
  }

  const loop = createLeaderLoop({ db, lockKey: monitorLockKey, tickMs: options.tickMs, name: 'monitor pass', tick: pass, onError: options.onError });
  return { ...loop, pass };
}

/** The action's input: each field a JSONata expression over the incident (as stored), its monitor and workflow. */
async function notifyInput(fields: Readonly<Record<string, string>>, incident: IncidentRow): Promise<Record<string, unknown>> {
  const scope = {
    incident: { id: incident.id, summary: incident.summary, value: incident.value, threshold: incident.threshold, stage: incident.stage, opened_at: incident.opened_at.toISOString(), paused: incident.paused_stage },
    monitor: { name: incident.monitor_name, key: incident.monitor_key },
    workflow: { id: incident.workflow_id },
  };
  const out: Record<string, unknown> = {};
  for (const [field, expression] of Object.entries(fields)) {
    out[field] = await evaluateJsonata(expression, scope as never, `notify.with.${field}`);
  }
  return out;
}
