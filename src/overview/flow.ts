// Where a workflow's runs went: the declared flow of one version, with the moves runs made in a
// window counted per edge. Moves are read from the order of step attempts rather than from their
// `next_step`, because the approval gate the engine inserts records none of its own in the step
// before it (that step's next_step names the action behind the gate). One statement whatever the
// number of runs: window functions order each run's attempts, GROUPING SETS count edges and nodes.
import type { Queryable } from '../db/index.js';
import type { Stage } from '../registry/index.js';
import type { WorkflowSpec } from '../spec/index.js';
import { declaredFlow, TRIGGER } from './flow-graph.js';

/** Run statuses that end a run's path through the flow (outcome_unknown waits for a person, at its end so far). */
export const endStatuses = ['succeeded', 'failed', 'rejected', 'canceled', 'outcome_unknown'] as const;

export interface FlowQuery {
  workflowId: string;
  /** Only runs of this stage; every stage when absent. */
  stage?: Stage;
  /** Only runs of this version (its id); every version when absent. */
  versionId?: string;
  since: Date;
  until: Date;
}

export interface Flow {
  nodes: Array<{ id: string; kind: string; label: string; runs: number }>;
  edges: Array<{ from: string; to: string; declared: boolean; count: number }>;
}

interface MoveRow {
  from_id: string | null;
  to_id: string;
  to_kind: string;
  runs: number;
  /** 1 on the per-node rows (runs reaching to_id from anywhere). */
  node_only: number;
}

// A run moves into an attempt's step when the attempt before it in the run succeeded (or there is
// none: the trigger's move). Attempts after a failed, interrupted or retried attempt of the same
// step are that step again, not a move. A finished run then moves from its last step to its end.
// Every attempt starts before its run's last change, so "updated since" finds every run with a move
// in the window (through runs_updated). Moves count when they happen in [since, until).
const movesSql = `
WITH r AS (
  SELECT id, status, coalesce(finished_at, updated_at) AS ended_at
    FROM runs
   WHERE workflow_id = $1 AND purpose = 'live' AND ($2::text IS NULL OR stage = $2) AND ($3::text IS NULL OR version_id = $3)
     AND updated_at >= $4 AND created_at < $5
),
a AS (
  SELECT sa.run_id, sa.step_id, sa.kind, sa.started_at,
         lag(sa.step_id) OVER w AS prev_step, lag(sa.status) OVER w AS prev_status,
         row_number() OVER (PARTITION BY sa.run_id ORDER BY sa.id DESC) AS from_end
    FROM step_attempts sa JOIN r ON r.id = sa.run_id
  WINDOW w AS (PARTITION BY sa.run_id ORDER BY sa.id)
),
moves AS (
  SELECT run_id, coalesce(prev_step, '${TRIGGER}') AS from_id, step_id AS to_id, kind AS to_kind, started_at AS at
    FROM a WHERE prev_step IS NULL OR prev_status = 'succeeded'
  UNION ALL
  SELECT r.id, coalesce(a.step_id, '${TRIGGER}'), 'end:' || r.status, 'end', r.ended_at
    FROM r LEFT JOIN a ON a.run_id = r.id AND a.from_end = 1
   WHERE r.status = ANY($6::text[])
)
SELECT from_id, to_id, max(to_kind) AS to_kind, count(DISTINCT run_id)::int AS runs, GROUPING(from_id) AS node_only
  FROM moves WHERE at >= $4 AND at < $5
 GROUP BY GROUPING SETS ((from_id, to_id), (to_id))`;

/** The declared flow of `spec` with the runs of the query counted on it; moves the file does not allow come last, declared false. */
export async function readFlow(db: Queryable, spec: WorkflowSpec | undefined, query: FlowQuery): Promise<Flow> {
  const rows = (await db.query<MoveRow>(movesSql, [
    query.workflowId, query.stage ?? null, query.versionId ?? null, query.since, query.until, [...endStatuses],
  ])).rows;
  const declared = declaredFlow(spec);
  const edgeRows = rows.filter((r) => r.node_only === 0);
  const counted = new Map(edgeRows.map((r) => [`${r.from_id}\u0000${r.to_id}`, r.runs]));
  const declaredKeys = new Set(declared.edges.map((e) => `${e.from}\u0000${e.to}`));
  const edges = [
    ...declared.edges.map((e) => ({ ...e, declared: true, count: counted.get(`${e.from}\u0000${e.to}`) ?? 0 })),
    ...edgeRows
      .filter((r) => !declaredKeys.has(`${r.from_id}\u0000${r.to_id}`))
      .map((r) => ({ from: r.from_id ?? TRIGGER, to: r.to_id, declared: false, count: r.runs }))
      .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
  ];

  const reached = new Map(rows.filter((r) => r.node_only === 1).map((r) => [r.to_id, r]));
  // Every run makes exactly one move out of the trigger, so the trigger's runs are those moves.
  const triggered = edgeRows.filter((r) => r.from_id === TRIGGER).reduce((sum, r) => sum + r.runs, 0);
  const nodes = declared.nodes.map((n) => ({ ...n, runs: n.id === TRIGGER ? triggered : reached.get(n.id)?.runs ?? 0 }));
  const known = new Set(nodes.map((n) => n.id));
  const extra = (id: string, kind: string) => {
    if (known.has(id)) return;
    known.add(id);
    const isEnd = id.startsWith('end:');
    nodes.push({ id, kind: isEnd ? 'end' : kind, label: isEnd ? id.slice(4) : id, runs: reached.get(id)?.runs ?? 0 });
  };
  // Steps of other versions and the end nodes runs reached, then any step only seen leaving (its arrival was before the window).
  for (const r of [...reached.values()].sort((a, b) => a.to_id.localeCompare(b.to_id))) extra(r.to_id, r.to_kind);
  for (const e of edges) extra(e.from, 'step');
  // The end nodes in a stable order: succeeded first, as the file declares it.
  const order = (id: string) => (id.startsWith('end:') ? 1 + endStatuses.indexOf(id.slice(4) as (typeof endStatuses)[number]) : 0);
  nodes.sort((a, b) => order(a.id) - order(b.id));
  return { nodes, edges };
}
