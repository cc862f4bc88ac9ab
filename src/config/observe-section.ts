import { z } from 'zod';

/** A pattern operators add to the redaction: compiled once at start, refused at load if it does not compile. */
const redactionPattern = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_-]{0,40}$/, { error: 'use a-z, 0-9, _ and - (it is shown as [name])' }),
    pattern: z.string().min(1).max(500).refine((p) => {
      try { new RegExp(p, 'g'); return true; } catch { return false; }
    }, { error: 'is not a valid regular expression' }),
  })
  .strict();

/** What is masked in span payloads and attributes before anything is stored. */
export const redactionSection = z
  .object({
    emails: z.boolean().default(true).describe('Mask email addresses as [email].'),
    cardNumbers: z.boolean().default(true).describe('Mask payment card numbers (13-19 digits passing the Luhn check) as [card].'),
    phoneNumbers: z.boolean().default(true).describe('Mask phone numbers (8-15 digits after a +, else 10-15; spaces, dots, dashes and brackets between them) as [phone].'),
    patterns: z.array(redactionPattern).default([]).describe('More patterns, each masked as [name].'),
    payloads: z.boolean().default(true).describe('Keep step inputs and outputs with spans (redacted); false keeps only their size.'),
  })
  .strict();

/**
 * Where Keel exports its spans (OTLP/HTTP), from the standard OTEL_EXPORTER_OTLP_* variables. Set
 * means on. The endpoint is the full traces URL (…/v1/traces); its host is allowed through the
 * egress guard, which otherwise refuses private addresses.
 */
export const otlpExportSection = z
  .object({
    endpoint: z.string().url().describe('The collector\'s traces URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces).'),
    protocol: z.enum(['http/protobuf', 'http/json']).default('http/protobuf').describe('OTEL_EXPORTER_OTLP_PROTOCOL'),
    /** Sent with every export (OTEL_EXPORTER_OTLP_HEADERS); values may be credentials, so never logged. */
    headers: z.record(z.string(), z.string()).default({}),
    timeoutMs: z.number().int().min(100).default(10_000).describe('OTEL_EXPORTER_OTLP_TIMEOUT'),
    batchSize: z.number().int().min(1).max(10_000).default(512),
    intervalMs: z.number().int().min(50).default(2_000).describe('How often new spans are looked for.'),
  })
  .strict();

export const observeSection = z
  .object({
    serviceName: z.string().min(1).default('keel').describe('service.name of the spans Keel exports (OTEL_SERVICE_NAME).'),
    redaction: redactionSection.default(redactionSection.parse({})),
    export: otlpExportSection.optional(),
    tracer: z
      .object({
        tickMs: z.number().int().min(20).default(1_000).describe('How often finished work is turned into spans and rollups.'),
        batch: z.number().int().min(1).max(5_000).default(200).describe('Runs read per pass.'),
      })
      .strict()
      .default({ tickMs: 1_000, batch: 200 }),
    retention: z
      .object({
        spanDays: z.number().min(0.01).default(30).describe('Spans (and the payloads they hold) older than this are deleted; rollups, incidents and audit stay.'),
        runPayloadDays: z.number().min(0.01).optional()
          .describe('Also clear the inputs, outputs and step results of runs that ended longer ago than this (the run, its status, reviews and audit stay). Unset: kept.'),
        sweepMs: z.number().int().min(1_000).default(3_600_000),
      })
      .strict()
      .default({ spanDays: 30, sweepMs: 3_600_000 }),
    monitors: z
      .object({ tickMs: z.number().int().min(100).default(60_000).describe('How often monitors are evaluated.') })
      .strict()
      .default({ tickMs: 60_000 }),
  })
  .strict();

export type ObserveConfig = z.infer<typeof observeSection>;
export type RedactionConfig = z.infer<typeof redactionSection>;
export type OtlpExportConfig = z.infer<typeof otlpExportSection>;
