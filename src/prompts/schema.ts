// The shape of an instruction library file: a prompt (template, model settings, output schema,
// few-shot examples, rules, tone, the documents it relies on) or a document (policy, definition,
// FAQ) that prompts include and retrieval searches. Every object is strict, so a misspelt key is an
// error instead of a silently ignored setting.
import { z } from 'zod';

/** `support/reply`: lower-case path segments of letters, digits, `_` and `-`. */
export const libraryNamePattern = /^[a-z0-9][a-z0-9_-]*(?:\/[a-z0-9][a-z0-9_-]*)*$/;
/** `production`, `staging`, `canary-eu`: starts with a letter; never a number (that is a version). */
export const labelPattern = /^[a-z][a-z0-9_-]{0,39}$/;
/** The same rule model names follow in the configuration. */
export const modelNamePattern = /^[a-z][a-z0-9_.-]{0,62}$/;
export const documentTypes = ['policy', 'definition', 'faq', 'other'] as const;
export type DocumentType = (typeof documentTypes)[number];
export const libraryKinds = ['prompt', 'document'] as const;
export type LibraryKind = (typeof libraryKinds)[number];

const nonEmpty = () => z.string().min(1, { error: 'must not be empty' });

export const libraryNameSchema = z
  .string()
  .max(200, { error: 'must be at most 200 characters' })
  .regex(libraryNamePattern, { error: 'must be lower-case path segments such as support/reply (a-z, 0-9, _ and -, joined by /)' });

export const labelSchema = z
  .string()
  .regex(labelPattern, { error: 'a label starts with a letter and uses a-z, 0-9, _ and - (at most 40 characters)' })
  .refine((s) => !/^v\d+$/.test(s), { error: 'a label may not look like a version number (v3)' });

/** Model call settings, named as the AI SDK names them. */
export const promptParametersSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.number().int().min(1).optional(),
    topP: z.number().min(0).max(1).optional(),
    topK: z.number().int().min(1).optional(),
    presencePenalty: z.number().min(-2).max(2).optional(),
    frequencyPenalty: z.number().min(-2).max(2).optional(),
    stopSequences: z.array(nonEmpty()).max(16).optional(),
    seed: z.number().int().optional(),
  })
  .strict();

const exampleValue = z.union([z.string(), z.record(z.string(), z.unknown())]);

/**
 * One few-shot example. An `input` object is a set of template variables and is rendered through
 * the prompt's template (so the example turn looks exactly like a real one); a string is used as is.
 * An `output` object is sent as JSON; a string as is.
 */
export const promptExampleSchema = z.object({ input: exampleValue, output: exampleValue }).strict();

export const promptEntrySchema = z
  .object({
    kind: z.literal('prompt').optional(),
    name: libraryNameSchema,
    description: nonEmpty().describe('What the prompt is for, for the people choosing it'),
    system: z.string().optional().describe('LiquidJS template opening the system text (role, task)'),
    template: nonEmpty().describe('LiquidJS template of the user turn; in Markdown the body'),
    model: z.string().regex(modelNamePattern, { error: 'must be a model name from the configuration (a-z, 0-9, _, . and -)' }).optional(),
    parameters: promptParametersSchema.optional(),
    output_schema: z.record(z.string(), z.unknown()).optional().describe('JSON Schema the answer must match'),
    examples: z.array(promptExampleSchema).optional(),
    rules: z.array(nonEmpty()).optional(),
    tone: z.array(nonEmpty()).optional(),
    references: z.array(nonEmpty()).optional().describe('Library documents this prompt relies on: name, name@label or name@N'),
    confidence_threshold: z.number().min(0).max(1).optional(),
  })
  .strict();

export const documentEntrySchema = z
  .object({
    kind: z.literal('document'),
    name: libraryNameSchema,
    title: nonEmpty(),
    type: z.enum(documentTypes),
    tags: z.array(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'tags use a-z, 0-9, _ and -' })).optional(),
    description: nonEmpty().optional(),
    body: nonEmpty().describe('The document text; in Markdown the body'),
  })
  .strict();

export type PromptEntry = z.infer<typeof promptEntrySchema> & { kind: 'prompt' };
export type DocumentEntry = z.infer<typeof documentEntrySchema>;
export type LibraryEntry = PromptEntry | DocumentEntry;
export type PromptParameters = z.infer<typeof promptParametersSchema>;
export type PromptExample = z.infer<typeof promptExampleSchema>;
