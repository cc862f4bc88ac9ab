import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeelError } from '../../errors.js';
import { deserializeClassifier, serializeClassifier } from './artifact.js';
import { trainClassifier, type ClassifierModel } from './classifier.js';
import type { LabelledRow } from './dataset.js';

const rows: LabelledRow[] = [
  ...['my card has not arrived', 'where is my new card', 'card still not delivered', 'when will the card come'].map((text) => ({ text, label: 'card_arrival' })),
  ...['i want my money back', 'please refund me', 'refund for the order', 'how do i get a refund'].map((text) => ({ text, label: 'refund' })),
  ...['i forgot my pin', 'pin is blocked', 'reset my pin please', 'unblock the pin'].map((text) => ({ text, label: 'pin_blocked' })),
];
const probes = ['card not here yet', 'refund please', 'blocked pin', '', 'ünïcödé 💳 card', 'something else entirely'];

/** The parts of the stored header these tests change. */
interface StoredHeader {
  labels: string[];
  info: { temperature: number; features: number };
  options: { charMax: number };
}

function refusal(bytes: Uint8Array): KeelError {
  try {
    deserializeClassifier(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).code).toBe('invalid_input');
    return error as KeelError;
  }
  throw new Error('expected the artifact to be refused');
}

/** The artifact with its gzip body replaced by `edit` applied to the unpacked body. */
function withBody(bytes: Buffer, edit: (body: Buffer) => Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, 12), gzipSync(edit(gunzipSync(bytes.subarray(12))))]);
}

describe('classifier artifacts', () => {
  let model: ClassifierModel;
  let bytes: Buffer;
  beforeAll(async () => {
    model = await trainClassifier(rows, { seed: 3 });
    bytes = serializeClassifier(model);
  });

  it('round-trips to a model that predicts exactly alike, with the same labels and info', () => {
    const copy = deserializeClassifier(bytes);
    expect(copy.labels).toEqual(model.labels);
    expect(copy.info).toEqual(model.info);
    for (const text of probes) expect(copy.predict(text, 5)).toEqual(model.predict(text, 5));
    // Serialising the copy gives the same bytes: nothing is lost or added on the way.
    expect(serializeClassifier(copy).equals(bytes)).toBe(true);
  });

  it('reads from a Uint8Array view at an offset, as a database driver may hand it over', () => {
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(deserializeClassifier(padded.subarray(3)).predict('refund please')).toEqual(model.predict('refund please'));
  });

  it('refuses something that is not a classifier artifact', () => {
    expect(refusal(Buffer.from('{"labels":[]}')).message).toMatch(/does not start with the classifier signature/);
    expect(refusal(new Uint8Array(0)).message).toMatch(/signature/);
  });

  it('refuses an artifact of another format version, saying which', () => {
    const other = Buffer.from(bytes);
    other.writeUInt32LE(99, 8);
    const error = refusal(other);
    expect(error.message).toBe('the classifier artifact has format version 99; this Keel reads version 1');
  });

  it('refuses a truncated or bit-flipped artifact', () => {
    expect(refusal(bytes.subarray(0, bytes.length - 10)).message).toMatch(/does not unpack/);
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
    expect(refusal(flipped).message).toMatch(/corrupt/);
  });

  it('refuses a body whose sections do not match its header, or whose header is not JSON', () => {
    expect(refusal(withBody(bytes, (b) => b.subarray(0, b.length - 1))).message).toMatch(/shorter than its header says/);
    expect(refusal(withBody(bytes, (b) => Buffer.concat([b, Buffer.from([0])]))).message).toMatch(/1 bytes more than its header says/);
    expect(refusal(withBody(bytes, (b) => { const c = Buffer.from(b); c[4] = 0x7b + 1; return c; })).message).toMatch(/header is not JSON/);
  });

  it('refuses a header with out-of-range values', () => {
    const rewrite = (change: (h: StoredHeader) => void) => withBody(bytes, (b) => {
      const length = b.readUInt32LE(0);
      const header = JSON.parse(b.subarray(4, 4 + length).toString('utf8')) as StoredHeader;
      change(header);
      const json = Buffer.from(JSON.stringify(header));
      const size = Buffer.alloc(4);
      size.writeUInt32LE(json.length);
      return Buffer.concat([size, json, b.subarray(4 + length)]);
    });
    expect(refusal(rewrite((h) => (h.labels = ['only']))).message).toMatch(/labels are missing/);
    expect(refusal(rewrite((h) => (h.labels[1] = h.labels[0]!))).message).toMatch(/labels repeat/);
    expect(refusal(rewrite((h) => (h.info.temperature = -1))).message).toMatch(/info is missing or out of range/);
    expect(refusal(rewrite((h) => (h.options.charMax = 0))).message).toMatch(/text options/);
    expect(refusal(rewrite((h) => (h.info.features += 1))).message).toMatch(/feature count does not match/);
  });

  it('serialises only models Keel trained', () => {
    const fake: ClassifierModel = { labels: ['a', 'b'], info: model.info, predict: () => ({ label: 'a', confidence: 1, alternatives: [] }) };
    expect(() => serializeClassifier(fake)).toThrow(KeelError);
  });
});
