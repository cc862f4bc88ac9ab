// The dataset documents the API answers, shared by the routes of cases and of versions.
import { isoDate, z } from '../contract/index.js';

export const datasetCaseSchema = z.object({
  id: z.string(), workflow_id: z.string(), dataset: z.string(),
  input: z.unknown().describe("What the workflow was given: the run's input, an external task's context.payload, or an imported or hand-written object"),
  expected: z.unknown().describe('What it should have answered: the approved or corrected output, { rejected, reason }, or what the file or person said'),
  tags: z.array(z.string()), source: z.string().describe('Where the case came from: review, import, hand, or what an imported row said'),
  review_id: z.string().nullable(), created_by: z.string(), created_at: isoDate,
  added_in: z.number().int().describe('The dataset version that added it'),
  removed_in: z.number().int().nullable().describe('The version that removed it; null while it is in the latest'),
}).openapi('DatasetCase');

export const addedCaseSchema = z.object({
  case: datasetCaseSchema,
  created: z.boolean().describe('False when this review was already in the dataset; the existing case is answered'),
  version: z.number().int().describe('The version the addition made; the latest one when nothing changed'),
}).openapi('AddedDatasetCase');

export const datasetVersionSchema = z.object({
  workflow_id: z.string(), dataset: z.string(), number: z.number().int(),
  case_count: z.number().int(),
  content_hash: z.string().describe('sha256 of the member case ids in id order; cases never change'),
  change: z.enum(['import', 'add', 'review', 'remove', 'existing']).describe('What made this version'),
  created_by: z.string(), created_at: isoDate, note: z.string().nullable(),
}).openapi('DatasetVersion');

export const datasetSummarySchema = z.object({
  dataset: z.string(), latest: datasetVersionSchema, versions: z.number().int().describe('How many versions it has had'),
}).openapi('DatasetSummary');

export const importedCasesSchema = z.object({ version: datasetVersionSchema, imported: z.number().int() }).openapi('ImportedDatasetCases');
export const versionCasesSchema = z.object({ version: datasetVersionSchema, cases: z.array(datasetCaseSchema) }).openapi('DatasetVersionCases');
