// The dashboard's read routes: the overview of every workflow a person may see, one workflow's flow
// counted over a window, and the event stream of changes behind live updates.
import type { Db } from '../db/index.js';
import { createRoute, jsonBody, problems, sendJson, stageSchema, visibleWorkflowIds, z, type ApiApp } from '../contract/index.js';
import { KeelError } from '../errors.js';
import { getVersion, getVersionById, getWorkflow, type Stage, type VersionRow } from '../registry/index.js';
import { streamChanges, type EventStreamOptions } from './events.js';
import { createChangeFeed } from './feed.js';
import { readFlow } from './flow.js';
import { readOverview } from './figures.js';
import { changeSchema, flowSchema, overviewSchema } from './schemas.js';

export interface OverviewRouteDeps {
  db: Db;
  /** The clock the figures are taken at; injected by tests. */
  now?: () => Date;
  /** The change feed's poll interval (750 ms by default). */
  pollMs?: number;
  /** Stream timings (keep-alive, longest life). */
  events?: Omit<EventStreamOptions, 'logError'>;
  logError(message: string, error: unknown): void;
}

export interface OverviewRoutes {
  /** Ends every open event stream and stops the change feed; the server's stop calls it before closing. */
  closeStreams(): Promise<void>;
}

const defaultFlowWindowMs = 24 * 3_600_000;
const timestamp = z.string().datetime({ offset: true });

/** Registers GET /api/overview, GET /api/workflows/{id}/flow and GET /api/events. */
export function registerOverviewRoutes(app: ApiApp, deps: OverviewRouteDeps): OverviewRoutes {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const feed = createChangeFeed({ db, pollMs: deps.pollMs, onError: deps.logError });

  app.openapi(createRoute({
    method: 'get', path: '/api/overview', tags: ['overview'],
    summary: 'Every workflow you may see, with its deployments, health and figures of today and the last 7 days',
    responses: { 200: jsonBody(overviewSchema, 'The overview') },
  }), async (c) => sendJson(c, await readOverview(db, visibleWorkflowIds(c), now())));

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/flow', tags: ['overview'],
    summary: 'The steps of a version and the moves its runs made in a window, counted per edge',
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({
        since: timestamp.optional().describe('Start of the window (ISO 8601); 24 hours before until by default'),
        until: timestamp.optional().describe('End of the window, exclusive (ISO 8601); now by default'),
        stage: stageSchema.optional().describe('Only runs of this stage; also picks the version shown (production by default)'),
        version: z.coerce.number().int().min(1).optional().describe('Show this version number (its runs only) instead of the deployed one'),
      }),
    },
    responses: { 200: jsonBody(flowSchema, 'The flow'), ...problems(404, 422) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const q = c.req.valid('query');
    const until = q.until === undefined ? now() : new Date(q.until);
    const since = q.since === undefined ? new Date(until.getTime() - defaultFlowWindowMs) : new Date(q.since);
    if (since >= until) {
      throw new KeelError('invalid_input', 'The window is empty: since is not before until.', { problems: [{ path: 'query.since', message: 'must be before until' }] });
    }
    const workflow = await getWorkflow(db, id);
    const version = q.version !== undefined ? await getVersion(db, id, q.version) : await shownVersion(db, workflow, q.stage ?? 'production');
    const flow = await readFlow(db, version?.definition, {
      workflowId: id, stage: q.stage, versionId: q.version !== undefined ? version?.id : undefined, since, until,
    });
    return sendJson(c, { workflow_id: id, version_number: version?.number ?? null, stage: q.stage ?? null, since, until, ...flow });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/events', tags: ['overview'],
    summary: 'Server-sent events: ready, then run and review changes you may see (data: Change), with a keep-alive comment every 15 s',
    responses: {
      200: { description: 'An event stream (text/event-stream) that stays open', content: { 'text/event-stream': { schema: z.string() } } },
    },
  }), (c) => streamChanges(c, feed, { ...deps.events, logError: deps.logError }) as never);
  // The events' data is not a response body the document can point at; listed so clients can read its shape.
  app.openAPIRegistry.register('Change', changeSchema);

  return { closeStreams: () => feed.close() };
}

/** The version deployed at `stage`, else the latest one; undefined for a workflow with no version yet. */
async function shownVersion(db: Db, workflow: Awaited<ReturnType<typeof getWorkflow>>, stage: Stage): Promise<VersionRow | undefined> {
  const deployed = workflow.deployments.find((d) => d.stage === stage);
  const versionId = deployed?.version_id ?? workflow.latest_version_id;
  return versionId ? getVersionById(db, versionId) : undefined;
}
