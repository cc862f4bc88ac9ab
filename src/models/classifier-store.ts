import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { recordAudit } from '../audit/index.js';
import type { ClassifierModelConfig } from '../config/index.js';
import { createImmutableCache, type Db, type Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import {
  deserializeClassifier, parseLabelledText, serializeClassifier, trainClassifier,
  type ClassifierModel, type TrainProgress,
} from './classifier/index.js';

/** A trained classifier as stored: immutable, numbered per model name, keyed by its training file's hash. */
export interface ClassifierVersion {
  id: string;
  model: string;
  number: number;
  datasetHash: string;
  datasetName: string;
  labels: string[];
  info: Record<string, unknown>;
  trainedBy: string;
  createdAt: Date;
  artifactBytes: number;
}

interface VersionRow {
  id: string; model: string; number: number; dataset_hash: string; dataset_name: string; labels: string[];
  info: Record<string, unknown>; trained_by: string; created_at: Date; artifact_bytes: number;
}

const columns = `id, model, number, dataset_hash, dataset_name, labels, info, trained_by, created_at, octet_length(artifact) AS artifact_bytes`;

function fromRow(r: VersionRow): ClassifierVersion {
  return {
    id: r.id, model: r.model, number: r.number, datasetHash: r.dataset_hash, datasetName: r.dataset_name, labels: r.labels,
    info: r.info, trainedBy: r.trained_by, createdAt: r.created_at, artifactBytes: Number(r.artifact_bytes),
  };
}

export interface TrainRequest {
  name: string;
  config: ClassifierModelConfig;
  actor: string;
  /** Train again even when this exact file already has a version. */
  force?: boolean;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

/**
 * Trains a classifier from its configured file and stores it as a new version, unless the same file
 * was trained before (then that version is returned). Reading the file fails before anything is stored.
 */
export async function trainClassifierVersion(db: Db, request: TrainRequest): Promise<{ version: ClassifierVersion; created: boolean }> {
  const bytes = await readDataset(request.config.dataset);
  const datasetHash = createHash('sha256').update(bytes).digest('hex');
  if (!request.force) {
    const existing = await db.query<VersionRow>(`SELECT ${columns} FROM classifier_versions WHERE model = $1 AND dataset_hash = $2`, [request.name, datasetHash]);
    if (existing.rows[0]) return { version: fromRow(existing.rows[0]), created: false };
  }
  const format = extname(request.config.dataset).toLowerCase() === '.jsonl' ? 'jsonl' : 'csv';
  const rows = parseLabelledText(bytes.toString('utf8'), format, { textColumn: request.config.textColumn, labelColumn: request.config.labelColumn }, request.config.dataset);
  const model = await trainClassifier(rows, { onProgress: request.onProgress, signal: request.signal });
  return storeClassifierVersion(db, {
    name: request.name, model, datasetName: request.config.dataset, rows: rows.length, actor: request.actor,
    datasetHash: request.force ? `${datasetHash}:${Date.now()}` : datasetHash,
  });
}

/**
 * Stores a trained classifier as the next version of its model name, once per training file: when
 * another process stored the same file meanwhile, that version is returned instead.
 */
export async function storeClassifierVersion(db: Db, input: {
  name: string; model: ClassifierModel; datasetName: string; datasetHash: string; rows: number; actor: string;
}): Promise<{ version: ClassifierVersion; created: boolean }> {
  const artifact = serializeClassifier(input.model);
  return db.transaction(async (tx) => {
    const r = await tx.query<VersionRow>(
      `INSERT INTO classifier_versions (id, model, number, dataset_hash, dataset_name, artifact, labels, info, trained_by)
       SELECT $1 || '@' || (coalesce(max(number), 0) + 1), $1, coalesce(max(number), 0) + 1, $2, $3, $4, $5::jsonb, $6::jsonb, $7
         FROM classifier_versions WHERE model = $1
       ON CONFLICT (model, dataset_hash) DO NOTHING
       RETURNING ${columns}`,
      [input.name, input.datasetHash, input.datasetName, artifact, JSON.stringify(input.model.labels),
        JSON.stringify({ ...input.model.info, rows: input.rows }), input.actor],
    );
    if (!r.rows[0]) {
      const other = await tx.query<VersionRow>(`SELECT ${columns} FROM classifier_versions WHERE model = $1 AND dataset_hash = $2`, [input.name, input.datasetHash]);
      return { version: fromRow(other.rows[0]!), created: false };
    }
    const version = fromRow(r.rows[0]);
    await recordAudit(tx, {
      actor: input.actor, action: 'classifier:trained', subjectType: 'model', subjectId: input.name,
      data: { version: version.id, number: version.number, dataset: input.datasetName, datasetHash: input.datasetHash, rows: input.rows, labels: input.model.labels.length },
    });
    return { version, created: true };
  });
}

async function readDataset(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new KeelError('invalid_input', `Cannot read the training file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, {
      hint: 'Set the classifier model\'s `dataset` to a CSV or JSONL file, relative to the folder Keel runs in.', cause: error,
    });
  }
}

export async function listClassifierVersions(db: Queryable, model?: string): Promise<ClassifierVersion[]> {
  const r = await db.query<VersionRow>(`SELECT ${columns} FROM classifier_versions WHERE ($1::text IS NULL OR model = $1) ORDER BY model, number`, [model ?? null]);
  return r.rows.map(fromRow);
}

/** Artifacts are immutable, so a loaded classifier is kept per version id (per database) for the life of the process. */
const loaded = createImmutableCache<ClassifierModel>(20);

/** The latest version of a classifier (or the numbered one), ready to predict. */
export async function loadClassifier(db: Queryable, model: string, number?: number): Promise<{ version: ClassifierVersion; classifier: ClassifierModel }> {
  const r = await db.query<VersionRow>(
    `SELECT ${columns} FROM classifier_versions WHERE model = $1 AND ($2::int IS NULL OR number = $2) ORDER BY number DESC LIMIT 1`,
    [model, number ?? null],
  );
  const row = r.rows[0];
  if (!row) {
    throw new KeelError('not_found', `The classifier ${model}${number ? ` version ${number}` : ''} has not been trained yet.`, {
      hint: `Train it with \`keel models train ${model}\`; \`keel serve\` trains configured classifiers at start.`, retriable: true, retryAfterMs: 5_000,
    });
  }
  const version = fromRow(row);
  const classifier = loaded(db, version.id, async () => {
    const a = await db.query<{ artifact: Uint8Array }>(`SELECT artifact FROM classifier_versions WHERE id = $1`, [version.id]);
    return deserializeClassifier(a.rows[0]!.artifact);
  });
  return { version, classifier: await classifier };
}
