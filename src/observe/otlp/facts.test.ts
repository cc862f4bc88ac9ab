import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../span.js';
import { factsOf } from './ingest.js';

const noPrice = () => undefined;

function root(status: SpanRecord['status'], attributes: SpanRecord['attributes'] = {}): SpanRecord {
  const at = new Date('2026-11-30T10:00:00Z');
  return {
    traceId: '1'.repeat(32), spanId: '2'.repeat(16), parentSpanId: null, workflowId: 'script', runId: null, source: 'otlp', name: 'job',
    kind: 'internal', startedAt: at, endedAt: new Date(at.getTime() + 1500), status, statusMessage: null, attributes, events: null, resource: null, scope: null,
  };
}

describe('what an external root span adds to the rollups', () => {
  it('counts a run that ended well as done without a person, unless it says a person reviewed it, and never a failed one', () => {
    expect(factsOf(root('ok'), {}, noPrice)).toMatchObject({ status: 'succeeded', automated: true, latencyMs: 1500 });
    expect(factsOf(root('unset'), { 'keel.reviewed': true }, noPrice)).toMatchObject({ status: 'succeeded', automated: false });
    expect(factsOf(root('error', { 'error.type': 'Timeout' }), {}, noPrice)).toMatchObject({ status: 'failed', automated: false, counts: [{ dimension: 'error_class', value: 'Timeout' }] });
  });
});
