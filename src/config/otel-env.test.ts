import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeelError } from '../errors.js';
import { loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'keel-otel-env-'));
const noFile = join(dir, 'none.yaml');

function load(env: Record<string, string>, file = noFile) {
  return loadConfig({ env, file });
}

function refusal(env: Record<string, string>): KeelError {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError);
    return error as KeelError;
  }
  throw new Error('the configuration was accepted');
}

describe('OTLP export from the standard OTEL_* variables', () => {
  it('is off when no endpoint is named, whatever else is set', () => {
    const config = load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_HEADERS: 'a=b' });
    expect(config.observe.export).toBeUndefined();
    expect(config.observe.serviceName).toBe('keel');
  });

  it('appends v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT relative to its path, without doubling slashes', () => {
    const endpoint = (base: string) => load({ OTEL_EXPORTER_OTLP_ENDPOINT: base }).observe.export?.endpoint;
    expect(endpoint('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(endpoint('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
    expect(endpoint('https://otlp.example.com/api/otlp')).toBe('https://otlp.example.com/api/otlp/v1/traces');
    expect(endpoint('https://otlp.example.com/api/otlp/')).toBe('https://otlp.example.com/api/otlp/v1/traces');
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, over the general one', () => {
    const config = load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom/path' });
    expect(config.observe.export?.endpoint).toBe('http://traces:9999/custom/path');
  });

  it('defaults to http/protobuf, a 10 s timeout and no headers; the signal variables win over the general ones', () => {
    const plain = load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).observe.export;
    expect(plain).toMatchObject({ protocol: 'http/protobuf', timeoutMs: 10_000, headers: {} });
    const tuned = load({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '4000',
    }).observe.export;
    expect(tuned).toMatchObject({ protocol: 'http/json', timeoutMs: 4000 });
  });

  it('parses headers as k=v pairs, percent-decoded, trace headers replacing general ones key by key', () => {
    const config = load({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_HEADERS: ' Authorization = Basic dXNlcjpwYXNz== , x-tenant=acme%2Cwest,x-scope=general ',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'X-Scope=traces%20only,,',
    });
    expect(config.observe.export?.headers).toEqual({ Authorization: 'Basic dXNlcjpwYXNz==', 'x-tenant': 'acme,west', 'X-Scope': 'traces only' });
  });

  it('refuses grpc with an error saying Keel exports over HTTP', () => {
    const error = refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('HTTP');
    expect(error.hint).toContain('http/protobuf');
  });

  it('refuses malformed values without repeating a header value', () => {
    const secret = 's3cr3t-value';
    const cases: Array<Record<string, string>> = [
      { OTEL_EXPORTER_OTLP_HEADERS: `api-key${secret}` },
      { OTEL_EXPORTER_OTLP_HEADERS: `api-key=${secret}%zz` },
      { OTEL_EXPORTER_OTLP_HEADERS: `api-key=${secret};prop=1` },
      { OTEL_EXPORTER_OTLP_TRACES_HEADERS: `bad key=${secret}` },
      { OTEL_EXPORTER_OTLP_HEADERS: `api-key=${secret}%0D%0Ax-injected=1` },
    ];
    for (const env of cases) {
      const error = refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', ...env });
      expect(error.code).toBe('invalid_input');
      expect(error.message).toMatch(/OTEL_EXPORTER_OTLP_(TRACES_)?HEADERS/);
      expect(JSON.stringify({ message: error.message, hint: error.hint, problems: error.problems })).not.toContain(secret);
    }
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }).message).toContain('OTEL_EXPORTER_OTLP_TIMEOUT');
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' }).message).toContain('http/json');
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }).problems.map((p) => p.path)).toContain('observe.export.endpoint');
  });

  it('takes OTEL_SERVICE_NAME, and OTEL_SDK_DISABLED=true turns export off even when keel.yaml sets it', () => {
    const file = join(dir, 'keel.yaml');
    writeFileSync(file, 'observe:\n  export:\n    endpoint: http://from-file:4318/v1/traces\n');
    expect(load({ OTEL_SERVICE_NAME: 'keel-eu' }, file).observe).toMatchObject({ serviceName: 'keel-eu', export: { endpoint: 'http://from-file:4318/v1/traces' } });
    expect(load({ OTEL_SDK_DISABLED: 'TRUE' }, file).observe.export).toBeUndefined();
    expect(load({ OTEL_SDK_DISABLED: 'false' }, file).observe.export?.endpoint).toBe('http://from-file:4318/v1/traces');
  });

  it('lets the environment override keel.yaml field by field, merging headers', () => {
    const file = join(dir, 'keel-headers.yaml');
    writeFileSync(file, [
      'observe:',
      '  export:',
      '    endpoint: http://from-file:4318/v1/traces',
      '    protocol: http/json',
      '    batchSize: 50',
      '    headers: { x-team: ops, authorization: file-token }',
    ].join('\n'));
    const config = load({ OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=env-token', OTEL_EXPORTER_OTLP_TIMEOUT: '3000' }, file);
    expect(config.observe.export).toMatchObject({
      endpoint: 'http://from-file:4318/v1/traces', protocol: 'http/json', batchSize: 50, timeoutMs: 3000,
      headers: { 'x-team': 'ops', Authorization: 'env-token' },
    });
    expect(Object.keys(config.observe.export?.headers ?? {})).toHaveLength(2);
  });
});
