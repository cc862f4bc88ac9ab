import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeelError } from '../errors.js';
import { signWebhook, verifyWebhook } from './standard-webhooks.js';

const now = new Date('2025-01-01T12:00:00Z');
const timestamp = Math.floor(now.getTime() / 1000);
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const body = '{"type":"invoice.paid","id":42}';

function headersFor(signature: string, ts = timestamp, id = 'msg_1') {
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature };
}

function failure(run: () => unknown): KeelError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).code).toBe('signature_invalid');
    return error as KeelError;
  }
  throw new Error('expected verification to fail');
}

describe('standard webhooks', () => {
  it('verifies what it signed and returns the id and timestamp', () => {
    const signature = signWebhook({ id: 'msg_1', timestamp, body, secret });
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyWebhook({ headers: headersFor(signature), body, secret, now })).toEqual({ id: 'msg_1', timestamp });
  });

  it('decodes a whsec_ secret to its key bytes', () => {
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    const expected = createHmac('sha256', key).update(`msg_1.${timestamp}.${body}`).digest('base64');
    expect(signWebhook({ id: 'msg_1', timestamp, body, secret })).toBe(`v1,${expected}`);
  });

  it('uses a plain secret as its UTF-8 bytes', () => {
    const expected = createHmac('sha256', Buffer.from('plain-secret', 'utf8')).update(`msg_1.${timestamp}.${body}`).digest('base64');
    const signature = signWebhook({ id: 'msg_1', timestamp, body, secret: 'plain-secret' });
    expect(signature).toBe(`v1,${expected}`);
    expect(() => verifyWebhook({ headers: headersFor(signature), body, secret: 'plain-secret', now })).not.toThrow();
  });

  it('rejects a tampered body', () => {
    const signature = signWebhook({ id: 'msg_1', timestamp, body, secret });
    const error = failure(() => verifyWebhook({ headers: headersFor(signature), body: body.replace('42', '43'), secret, now }));
    expect(error.message).toContain('no matching signature');
  });

  it('rejects a signature made with another secret or for another id', () => {
    const other = signWebhook({ id: 'msg_1', timestamp, body, secret: 'whsec_b3RoZXIta2V5' });
    failure(() => verifyWebhook({ headers: headersFor(other), body, secret, now }));
    const signature = signWebhook({ id: 'msg_1', timestamp, body, secret });
    failure(() => verifyWebhook({ headers: headersFor(signature, timestamp, 'msg_2'), body, secret, now }));
  });

  it('rejects a timestamp outside the tolerance, in the past or the future', () => {
    for (const ts of [timestamp - 301, timestamp + 301]) {
      const signature = signWebhook({ id: 'msg_1', timestamp: ts, body, secret });
      const error = failure(() => verifyWebhook({ headers: headersFor(signature, ts), body, secret, now }));
      expect(error.message).toContain('outside the tolerance');
    }
    const edge = timestamp - 300;
    const signature = signWebhook({ id: 'msg_1', timestamp: edge, body, secret });
    expect(() => verifyWebhook({ headers: headersFor(signature, edge), body, secret, now })).not.toThrow();
  });

  it('honours a custom tolerance', () => {
    const ts = timestamp - 60;
    const signature = signWebhook({ id: 'msg_1', timestamp: ts, body, secret });
    failure(() => verifyWebhook({ headers: headersFor(signature, ts), body, secret, now, toleranceSeconds: 30 }));
  });

  it('passes when any one of several signatures matches', () => {
    const good = signWebhook({ id: 'msg_1', timestamp, body, secret });
    const old = signWebhook({ id: 'msg_1', timestamp, body, secret: 'whsec_cm90YXRlZC1vdXQ=' });
    const header = `v1a,c29tZXRoaW5n v1,short ${old} ${good}`;
    expect(() => verifyWebhook({ headers: headersFor(header), body, secret, now })).not.toThrow();
  });

  it('names the missing header', () => {
    const signature = signWebhook({ id: 'msg_1', timestamp, body, secret });
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const headers: Record<string, string> = headersFor(signature);
      delete headers[name];
      expect(failure(() => verifyWebhook({ headers, body, secret, now })).message).toBe(`missing header ${name}`);
    }
  });

  it('reads headers case-insensitively', () => {
    const signature = signWebhook({ id: 'msg_1', timestamp, body, secret });
    const headers = { 'Webhook-Id': 'msg_1', 'Webhook-Timestamp': String(timestamp), 'Webhook-Signature': signature };
    expect(() => verifyWebhook({ headers, body, secret, now })).not.toThrow();
  });

  it('rejects a timestamp that is not whole seconds', () => {
    const signature = signWebhook({ id: 'msg_1', timestamp, body, secret });
    failure(() => verifyWebhook({ headers: { ...headersFor(signature), 'webhook-timestamp': '1.5e9' }, body, secret, now }));
  });

  it('refuses a whsec_ secret whose key is not base64', () => {
    expect(() => signWebhook({ id: 'msg_1', timestamp, body, secret: 'whsec_not base64!' })).toThrow(/not base64/);
  });
});
