// The `evals` section of a workflow file: which dataset an eval run uses, the pass rate the promotion
// gate needs, and the scorers that judge each case. Scorers are named kinds with settings, never code:
// paths are JSONata (evaluated, not executed), patterns are checked regexes, schemas are JSON Schema.
// Like monitors, a scorer holds exactly one kind; the checks that need to compile something (JSONata,
// regex, JSON Schema) run here so their problems land at the field's file:line:col.
import { z } from 'zod';
import { KeelError } from '../errors.js';
import { jsonataProblem, jsonSchemaProblems } from './expressions.js';
import { nonEmpty } from './primitives.js';
import { regexPatternProblem } from './regex-pattern.js';

export const scorerKinds = ['exact', 'field', 'label', 'numeric', 'regex', 'contains', 'schema', 'judge'] as const;
export type ScorerKind = (typeof scorerKinds)[number];

/** Same rule as the datasets slice's names (src/evals/cases.ts), repeated because spec is below it. */
const datasetName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** A JSONata path checked for syntax at load time; evaluated over one case's output or expected value. */
const jsonataPath = (what: string) =>
  nonEmpty()
    .superRefine((expr, ctx) => {
      const message = jsonataProblem(expr);
      if (message) ctx.addIssue({ code: 'custom', message: `${message}; write a JSONata path such as classify.label` });
    })
    .describe(what);

const outputPath = () => jsonataPath('JSONata path into the output, e.g. classify.label');
const expectedPath = () => jsonataPath('JSONata path into the expected value; the same as `path` when absent').optional();

const jsonSchema = z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
  for (const p of jsonSchemaProblems(schema)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
});

const regexScorer = z
  .object({
    path: outputPath(),
    pattern: nonEmpty().describe('A JavaScript regular expression the value (a string) must match somewhere; anchor it with ^ and $ for a whole match'),
    flags: z.string().optional().describe('Some of i, m, s, u'),
  })
  .strict()
  .superRefine((r, ctx) => {
    const message = regexPatternProblem(r.pattern, r.flags ?? '');
    if (message) ctx.addIssue({ code: 'custom', path: [message.startsWith('flags') ? 'flags' : 'pattern'], message });
  });

const containsScorer = z
  .object({
    path: outputPath(),
    value: z.string().optional().describe('The text the value must contain'),
    expected_path: jsonataPath('JSONata path into the expected value giving the text to look for').optional(),
    case_sensitive: z.boolean().default(true),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.value === undefined) === (c.expected_path === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of value or expected_path' });
    }
  });

export const scorerSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9 _.-]{0,62}$/i, { error: 'must be 1-63 letters, digits, spaces, _, . or -' }),
    exact: z.object({}).strict().optional().describe('The whole output equals the expected value (canonical JSON; Unicode compared in NFC)'),
    field: z.object({ path: outputPath(), expected_path: expectedPath() }).strict().optional()
      .describe('The value at a path of the output equals the value at a path of the expected value'),
    label: z.object({ path: outputPath(), expected_path: expectedPath() }).strict().optional()
      .describe('A classification: right or wrong per case; accuracy, per-label precision/recall/F1 and macro-F1 over the run'),
    numeric: z
      .object({
        path: outputPath(),
        expected_path: expectedPath(),
        tolerance: z.number().min(0).describe('Largest accepted difference'),
        relative: z.boolean().default(false).describe('tolerance is a fraction of the expected value (0.05: within 5 %)'),
      })
      .strict()
      .optional(),
    regex: regexScorer.optional(),
    contains: containsScorer.optional().describe('The string at path contains a text (or the list at path holds the value)'),
    schema: z
      .object({
        path: jsonataPath('JSONata path into the output; the whole output when absent').optional(),
        json_schema: jsonSchema.optional().describe("JSON Schema the value must match; the workflow's output schema (given by the eval run) when absent"),
      })
      .strict()
      .optional(),
    judge: z
      .object({
        model: nonEmpty().describe('A configured language model (keel.yaml `models`); checked when the eval runs'),
        rubric: nonEmpty().describe('What a good output is; the judge scores each case from 0 to 1 against it'),
        pass_score: z.number().min(0).max(1).default(0.7).describe('A case passes when the score is at least this'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const kinds = scorerKinds.filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: kinds.length === 0
          ? `give one kind of scorer: ${scorerKinds.join(', ')}`
          : `a scorer has exactly one kind; this one has ${kinds.join(' and ')} (split it into ${kinds.length} scorers)`,
      });
    }
  });

export const evalsSchema = z
  .object({
    dataset: z.string().regex(datasetName, { error: 'must be a dataset name: letters, digits, _, . or -' }).default('default')
      .describe('The dataset of this workflow an eval run scores'),
    threshold: z.number().min(0).max(1).default(0.9)
      .describe('The pass rate (cases where every scorer passed) the promotion gate needs, as a fraction'),
    concurrency: z.number().int().min(1).max(64).optional().describe('Cases scored at once; the eval runner decides when absent'),
    scorers: z.array(scorerSchema).min(1, { error: 'list at least one scorer' }),
  })
  .strict()
  .superRefine((e, ctx) => {
    const first = new Map<string, number>();
    e.scorers.forEach((s, i) => {
      const seen = first.get(s.name);
      if (seen === undefined) first.set(s.name, i);
      else ctx.addIssue({ code: 'custom', path: ['scorers', i, 'name'], message: `duplicate scorer name "${s.name}" (also scorers[${seen}]); give each scorer its own name` });
    });
  })
  .describe('How a version is evaluated before promotion: the dataset, the scorers and the pass rate the gate needs');

export type EvalsSpec = z.output<typeof evalsSchema>;
export type ScorerSpec = z.output<typeof scorerSchema>;

/** The one kind a valid scorer holds (the schema guarantees exactly one). */
export function scorerKind(scorer: ScorerSpec): ScorerKind {
  const kind = scorerKinds.find((k) => scorer[k] !== undefined);
  if (kind === undefined) throw new KeelError('internal', `Scorer "${scorer.name}" has no kind; it did not come through evalsSchema.`);
  return kind;
}
