// The instruction library API. Entry names hold `/` (support/reply), so they travel in the query
// string rather than as a path segment: /api/prompts/version?name=support/reply&ref=production.
import type { Db } from '../db/index.js';
import { createRoute, diffEntrySchema, isoDate, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import { KeelError } from '../errors.js';
import { diffLibraryVersions } from './diff.js';
import { documentTypes, libraryKinds, type DocumentType } from './schema.js';
import { searchDocuments, type EmbedFn } from './search.js';
import { deployLibraryEntry, getLibraryVersion, listLibrary, moveLibraryLabel } from './store.js';

export const libraryVersionSummarySchema = z.object({
  id: z.string().describe('name:hash, e.g. support/reply:ab12cd34ef56'), name: z.string(), kind: z.enum(libraryKinds),
  number: z.number().int(), content_hash: z.string(), source_name: z.string().nullable(), created_by: z.string(), created_at: isoDate,
}).openapi('LibraryVersionSummary');

export const libraryLabelSchema = z.object({
  name: z.string(), label: z.string(), version_id: z.string(), version_number: z.number().int(), moved_by: z.string(), moved_at: isoDate,
}).openapi('LibraryLabel');

export const libraryEntrySchema = z.object({
  name: z.string(), kind: z.enum(libraryKinds),
  summary: z.string().describe("The latest version's description (prompt) or title (document)"),
  type: z.enum(documentTypes).nullable(), latest_version_id: z.string().nullable(), created_at: isoDate, updated_at: isoDate,
  versions: z.array(libraryVersionSummarySchema).describe('Newest first'), labels: z.array(libraryLabelSchema),
}).openapi('LibraryEntry');

export const libraryVersionSchema = libraryVersionSummarySchema.extend({
  content: z.record(z.string(), z.unknown()).describe('The parsed entry'), source: z.string().describe('The file as deployed'),
}).openapi('LibraryVersion');

export const libraryDiffSchema = z.object({
  name: z.string(),
  from: z.object({ id: z.string(), number: z.number().int() }),
  to: z.object({ id: z.string(), number: z.number().int() }),
  changes: z.array(diffEntrySchema),
}).openapi('LibraryDiff');

export const libraryDeployResultSchema = z.object({
  entry: z.object({ name: z.string(), kind: z.enum(libraryKinds) }), version: libraryVersionSummarySchema,
  version_created: z.boolean(), label: z.string().nullable(), label_changed: z.boolean(),
}).openapi('LibraryDeployResult');

export const librarySearchResultSchema = z.object({
  name: z.string(), version: z.string(), number: z.number().int(), title: z.string(), type: z.enum(documentTypes), tags: z.array(z.string()),
  score: z.number(), snippet: z.string(), method: z.enum(['fulltext', 'vector']),
}).openapi('LibrarySearchResult');

const labelMoveSchema = z.object({ name: z.string(), label: z.string(), version: z.string().describe('Number (3, v3), version id, or another label') });

export const libraryLabelMovedSchema = libraryLabelSchema.extend({ changed: z.boolean() }).openapi('LibraryLabelMoved');

const deployBody = z.object({
  source: z.string().min(1).describe('The library file (YAML, or Markdown with front matter)'),
  source_name: z.string().default('prompt.yaml').describe('File name used in error positions; .md means Markdown'),
  label: z.string().optional().describe('Point this label at the deployed version'),
});

const list = (what: string) => z.string().optional().describe(`Comma-separated ${what}`);
const splitList = (text: string | undefined) => text?.split(',').map((s) => s.trim()).filter((s) => s !== '');

export interface LibraryRouteDeps {
  db: Db;
  /** When set, search ranks by vector similarity where documents have embeddings for its model. */
  embed?: EmbedFn;
  embeddingModel?: string;
}

/** The library routes: list, show, diff, label, deploy and search. */
export function registerLibraryRoutes(app: ApiApp, deps: LibraryRouteDeps): void {
  const { db } = deps;
  app.openapi(createRoute({
    method: 'get', path: '/api/prompts', tags: ['library'], summary: 'Every library entry with its versions and labels',
    request: { query: z.object({ kind: z.enum(libraryKinds).optional() }) },
    responses: { 200: jsonBody(z.object({ entries: z.array(libraryEntrySchema) }), 'The library'), ...problems(422) },
  }), async (c) => sendJson(c, { entries: await listLibrary(db, { kind: c.req.valid('query').kind }) }));

  app.openapi(createRoute({
    method: 'get', path: '/api/prompts/version', tags: ['library'], summary: 'One version of an entry, by label, number or id',
    request: { query: z.object({ name: z.string().min(1), ref: z.string().min(1).default('production').describe('A label, a number (3, v3) or a version id') }) },
    responses: { 200: jsonBody(libraryVersionSchema, 'The version'), ...problems(404, 422) },
  }), async (c) => {
    const q = c.req.valid('query');
    return sendJson(c, await getLibraryVersion(db, q.name, q.ref));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/prompts/diff', tags: ['library'], summary: 'What changed between two versions of an entry',
    request: { query: z.object({ name: z.string().min(1), from: z.string().min(1), to: z.string().min(1) }) },
    responses: { 200: jsonBody(libraryDiffSchema, 'The diff'), ...problems(404, 422) },
  }), async (c) => {
    const q = c.req.valid('query');
    return sendJson(c, await diffLibraryVersions(db, q.name, q.from, q.to));
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/prompts/labels', tags: ['library'], summary: 'Point a label (production, staging, ...) at a version',
    request: { body: { content: { 'application/json': { schema: labelMoveSchema } }, required: true } },
    responses: { 200: jsonBody(libraryLabelMovedSchema, 'Where the label points now'), ...problems(403, 404, 422) },
  }), async (c) => {
    const body = c.req.valid('json');
    return sendJson(c, await moveLibraryLabel(db, { ...body, actor: c.get('actor') }));
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/prompts/deploy', tags: ['library'],
    summary: 'Store a version of a library file (once per content), optionally moving a label; a file with any problem is never stored',
    request: { body: { content: { 'application/json': { schema: deployBody } }, required: true } },
    responses: { 200: jsonBody(libraryDeployResultSchema, 'Deployed'), ...problems(403, 409, 422) },
  }), async (c) => {
    const body = c.req.valid('json');
    const r = await deployLibraryEntry(db, { source: body.source, sourceName: body.source_name, label: body.label, actor: c.get('actor') });
    const { content: _c, source: _s, ...version } = r.version;
    return sendJson(c, { entry: r.entry, version, version_created: r.versionCreated, label: body.label ?? null, label_changed: r.labelChanged });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/library/search', tags: ['library'], summary: 'Search the documents at a label (full text, or vectors where embedded)',
    request: {
      query: z.object({
        q: z.string().min(1).describe('What to look for; websearch syntax: "a phrase", or, -word'),
        limit: z.coerce.number().int().min(1).max(50).default(5),
        types: list(`document types (${documentTypes.join(', ')})`), tags: list('tags; a document must carry at least one'),
        label: z.string().min(1).default('production'),
      }),
    },
    responses: { 200: jsonBody(z.object({ results: z.array(librarySearchResultSchema) }), 'Best first'), ...problems(422) },
  }), async (c) => {
    const q = c.req.valid('query');
    const types = splitList(q.types);
    const bad = types?.filter((t) => !(documentTypes as readonly string[]).includes(t)) ?? [];
    if (bad.length > 0) {
      throw new KeelError('invalid_input', `Unknown document type ${bad.join(', ')}.`, { problems: [{ path: 'query.types', message: `must be among ${documentTypes.join(', ')}` }] });
    }
    const results = await searchDocuments(db, { query: q.q, limit: q.limit, types: types as DocumentType[] | undefined, tags: splitList(q.tags), label: q.label, embeddingModel: deps.embeddingModel, includeBody: false }, deps.embed);
    return sendJson(c, { results });
  });
}
