// Retrieval over the library's documents at a label (production by default).
//
// Full text: PostgreSQL's own search over the generated tsvector (english). A query with websearch
// operators (a "quoted phrase", `-word`, `or`) is taken literally: only documents matching it as
// websearch_to_tsquery reads it are found. Any other query is read as a person's sentence: every
// document sharing one of its words is a candidate, so "my card still hasn't come" finds the card
// delivery policy although no document holds every one of those words. The score is the same for
// both: ts_rank_cd (cover density) of the whole query, plus ts_rank of the any-word query over the
// text and over the title. Measured on the 2,394 BANKING77 training messages of the 18 intents the
// example library covers (top-1 document, query = message and intent words, as support-triage
// sends it): 98.8%; ts_rank_cd over the any-word query instead of ts_rank: 94.7%; without the title
// term: 91.1%; with a bonus for documents matching every word: 98.2% (incidental words such as
// "still" then pull in the wrong document).
//
// Vectors: when an embedder is given and documents have embeddings for its model, documents are
// ranked by cosine similarity to the embedded query. With pgvector installed (PGlite opened with
// the vector extension, or a PostgreSQL server that has it) the similarity is pgvector's `<=>` on a
// cast of the stored real[]; without it (this machine's PostgreSQL has no pgvector) it is computed
// in SQL over the real[] arrays with unnest ... WITH ORDINALITY, so ranking and the limit stay in
// the database either way. Neither uses an index: a library holds hundreds of documents, not
// millions. Documents that have no embedding yet for the model are searched by full text and fill
// the places the vector hits leave under the limit, marked `method: 'fulltext'`; embedDocuments
// (run after deploying) gives them one.
import type { Queryable } from '../db/index.js';
import { recordAudit } from '../audit/index.js';
import { KeelError } from '../errors.js';
import { defaultLabel } from './refs.js';
import type { DocumentType } from './schema.js';

/** Texts to vectors, one per text, with one embedding model. */
export type EmbedFn = (texts: string[]) => Promise<number[][]>;

export interface SearchOptions {
  query: string;
  /** At most this many results (1 to 50; default 5). */
  limit?: number;
  /** Only documents of these types. */
  types?: readonly DocumentType[];
  /** Only documents carrying at least one of these tags. */
  tags?: readonly string[];
  /** The label whose versions are searched (default production). */
  label?: string;
  /**
   * Give each result the document's full text as `body` (default true), so results can be passed
   * to a prompt as its `documents` variable as they are; the search API leaves it out.
   */
  includeBody?: boolean;
  /**
   * The embedding model `embed` calls, as embedDocuments stored it. When absent, the model whose
   * stored vectors have the query vector's length is used (Keel configures one embedding model).
   */
  embeddingModel?: string;
}

export interface SearchResult {
  name: string;
  /** The version id. */
  version: string;
  number: number;
  title: string;
  type: DocumentType;
  tags: string[];
  score: number;
  /** ts_headline around the matched words (marked «like this»), on one line; or the text's start. */
  snippet: string;
  method: 'fulltext' | 'vector';
  body?: string;
}

// The snippet: ts_headline around the query's words; the text's first 300 characters when the
// query has no searchable word at all.
const headline = `coalesce(ts_headline('english', c.body, q.or_q, 'MaxWords=40, MinWords=15, MaxFragments=2, FragmentDelimiter=" ... ", StartSel=«, StopSel=»'), left(c.body, 300))`;

const fulltextScore = `(ts_rank_cd(c.search, q.web_q) + ts_rank(c.search, q.or_q) + ts_rank(to_tsvector('english', c.title), q.or_q))::float8`;

/** Whether a query uses websearch operators: a quoted phrase, `-word` or `or` between words. */
export function isLiteralQuery(query: string): boolean {
  return /"|(^|\s)-\S|\S\s+or\s+\S/i.test(query);
}

// The query twice: as written (websearch syntax) and as "any of its words" (its lexemes OR-ed).
const queries = `SELECT websearch_to_tsquery('english', $1::text) AS web_q,
  (SELECT string_agg(quote_literal(w), ' | ') FROM unnest(tsvector_to_array(to_tsvector('english', $1::text))) w)::tsquery AS or_q`;

// The documents the label ($2) points at, filtered by types ($3) and tags ($4).
const candidates = `SELECT v.id, v.name, v.number, d.title, d.doc_type, d.tags, d.body, d.search
  FROM library_labels l JOIN library_versions v ON v.id = l.version_id JOIN library_documents d ON d.version_id = v.id
  WHERE l.label = $2::text AND ($3::text[] IS NULL OR d.doc_type = ANY($3::text[])) AND ($4::text[] IS NULL OR d.tags && $4::text[])`;

interface Row {
  id: string;
  name: string;
  number: number;
  title: string;
  doc_type: DocumentType;
  tags: string[];
  body?: string;
  score: number | string;
  snippet: string | null;
}

/**
 * Searches the documents at a label: by vector similarity where `embed` is given and documents have
 * embeddings for its model, by full text otherwise (and for documents not embedded yet).
 */
export async function searchDocuments(db: Queryable, options: SearchOptions, embed?: EmbedFn): Promise<SearchResult[]> {
  const query = options.query.trim();
  if (query === '') throw new KeelError('invalid_input', 'The search query is empty.', { hint: 'say what to look for, e.g. "card has not arrived"' });
  const limit = options.limit ?? 5;
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new KeelError('invalid_input', 'The search limit must be a whole number from 1 to 50.');
  const params = [query, options.label ?? defaultLabel, options.types?.length ? [...options.types] : null, options.tags?.length ? [...options.tags] : null];
  const body = options.includeBody === false ? '' : ', c.body';

  let vectorRows: Row[] = [];
  let model: string | null = null;
  if (embed) {
    // Which models have vectors for these documents; none: no call to the embedding model at all.
    const stored = await db.query<{ model: string; dimensions: number; n: string }>(
      `SELECT e.model, e.dimensions, count(*) AS n FROM (${candidates}) c JOIN library_embeddings e ON e.version_id = c.id
       WHERE $1::text IS NOT NULL AND ($5::text IS NULL OR e.model = $5::text)
       GROUP BY e.model, e.dimensions ORDER BY count(*) DESC, e.model`,
      [...params, options.embeddingModel ?? null],
    );
    if (stored.rows.length > 0) {
      const vectors = await embed([query]);
      checkVectors(vectors, 1);
      const vector = vectors[0]!;
      model = stored.rows.find((m) => m.dimensions === vector.length)?.model ?? null;
      if (model !== null) {
        const similarity = (await hasPgvector(db))
          ? `1 - (e.embedding::vector <=> $6::real[]::vector)`
          : `(SELECT sum(a.x::float8 * b.y::float8) / nullif(sqrt(sum(a.x::float8 * a.x::float8)) * sqrt(sum(b.y::float8 * b.y::float8)), 0)
              FROM unnest(e.embedding) WITH ORDINALITY a(x, i) JOIN unnest($6::real[]) WITH ORDINALITY b(y, j) ON i = j)`;
        const r = await db.query<Row>(
          `WITH q AS (${queries}), c AS (${candidates})
           SELECT c.id, c.name, c.number, c.title, c.doc_type, c.tags${body}, s.score, ${headline} AS snippet
           FROM c JOIN library_embeddings e ON e.version_id = c.id AND e.model = $5::text AND e.dimensions = $7::int, q,
             LATERAL (SELECT coalesce(${similarity}, 0)::float8 AS score) s
           ORDER BY s.score DESC, c.name LIMIT $8::int`,
          [...params, model, vector, vector.length, limit],
        );
        vectorRows = r.rows;
      }
    }
  }
  const results = vectorRows.map((row) => toResult(row, 'vector'));
  if (results.length >= limit) return results;
  // Full text: every document when no vectors were used, else those without an embedding.
  const r = await db.query<Row>(
    `WITH q AS (${queries}), c AS (${candidates})
     SELECT c.id, c.name, c.number, c.title, c.doc_type, c.tags${body},
            ${fulltextScore} AS score,
            ${headline} AS snippet
     FROM c, q
     WHERE CASE WHEN $7::boolean THEN c.search @@ q.web_q ELSE c.search @@ q.or_q END
       AND ($5::text IS NULL OR NOT EXISTS (SELECT 1 FROM library_embeddings e WHERE e.version_id = c.id AND e.model = $5::text))
     ORDER BY score DESC, c.name LIMIT $6::int`,
    [...params, model, limit - results.length, isLiteralQuery(query)],
  );
  return [...results, ...r.rows.map((row) => toResult(row, 'fulltext'))];
}

function toResult(row: Row, method: SearchResult['method']): SearchResult {
  const out: SearchResult = {
    name: row.name, version: row.id, number: row.number, title: row.title, type: row.doc_type, tags: row.tags,
    score: Math.round(Number(row.score) * 1e6) / 1e6, snippet: snippet(row), method,
  };
  if (row.body !== undefined) out.body = row.body;
  return out;
}

function snippet(row: Row): string {
  return (row.snippet ?? '').replace(/\s+/g, ' ').trim();
}

function checkVectors(vectors: readonly (number[] | undefined)[], expected: number): asserts vectors is number[][] {
  const dims = vectors[0]?.length ?? 0;
  if (vectors.length !== expected || vectors.some((v) => !Array.isArray(v) || v.length !== dims || dims === 0 || v.some((x) => !Number.isFinite(x)))) {
    throw new KeelError('step_failed', `The embedding model answered ${vectors.length} vectors for ${expected} texts, or vectors of different or zero length.`, { retriable: false });
  }
}

// Whether pgvector can be used, per database handle: installed, or available and installable now.
const pgvectorByDb = new WeakMap<Queryable, Promise<boolean>>();

/**
 * True when the `vector` extension is installed, or available (`pg_available_extensions`) and this
 * call could install it. The install runs inside a savepoint when the handle is a transaction, so
 * a refused CREATE EXTENSION (no privilege) never aborts the caller's work.
 */
export function hasPgvector(db: Queryable): Promise<boolean> {
  let known = pgvectorByDb.get(db);
  if (!known) {
    known = detectPgvector(db);
    pgvectorByDb.set(db, known);
  }
  return known;
}

async function detectPgvector(db: Queryable): Promise<boolean> {
  const installed = await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'vector'`);
  if (installed.rows.length > 0) return true;
  const available = await db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
  if (available.rows.length === 0) return false;
  let inTransaction = true;
  try {
    await db.query('SAVEPOINT keel_pgvector');
  } catch {
    inTransaction = false;
  }
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS vector');
    if (inTransaction) await db.query('RELEASE SAVEPOINT keel_pgvector');
    return true;
  } catch {
    if (inTransaction) await db.query('ROLLBACK TO SAVEPOINT keel_pgvector');
    return false;
  }
}

/**
 * Computes and stores the embeddings `model` lacks for the document versions a label points at
 * (the ones search can return), in batches. Answers how many it stored. Embeddings are derived data;
 * one audit event records each call that stored any.
 */
export async function embedDocuments(db: Queryable, modelName: string, embed: EmbedFn, opts: { actor?: string; batchSize?: number } = {}): Promise<number> {
  const batchSize = opts.batchSize ?? 32;
  const missing = await db.query<{ id: string; title: string; body: string }>(
    `SELECT DISTINCT v.id, d.title, d.body FROM library_labels l JOIN library_versions v ON v.id = l.version_id
     JOIN library_documents d ON d.version_id = v.id
     WHERE NOT EXISTS (SELECT 1 FROM library_embeddings e WHERE e.version_id = v.id AND e.model = $1) ORDER BY v.id`,
    [modelName],
  );
  let stored = 0;
  for (let i = 0; i < missing.rows.length; i += batchSize) {
    const batch = missing.rows.slice(i, i + batchSize);
    const vectors = await embed(batch.map((d) => `${d.title}\n\n${d.body}`));
    checkVectors(vectors, batch.length);
    for (const [j, doc] of batch.entries()) {
      const r = await db.query(
        `INSERT INTO library_embeddings (version_id, model, dimensions, embedding) VALUES ($1, $2, $3, $4::real[]) ON CONFLICT DO NOTHING`,
        [doc.id, modelName, vectors[j]!.length, vectors[j]],
      );
      stored += r.rowCount;
    }
  }
  if (stored > 0) {
    await recordAudit(db, {
      actor: opts.actor ?? 'keel:embeddings', action: 'library:embedded', subjectType: 'embedding_model', subjectId: modelName,
      data: { documents: stored },
    });
  }
  return stored;
}
