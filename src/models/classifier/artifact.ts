// The stored form of a trained classifier. Layout: 8 magic bytes, the format version (uint32 LE),
// then one gzip stream (whose CRC-32 catches corruption) holding a uint32 LE header length, a JSON
// header (labels, info, options, section sizes) and the binary sections in a fixed order, all
// little-endian. Reading checks every size and number before any of it is used: an artifact comes
// from the database or a file and may be truncated, from another version, or not ours at all.
import { endianness } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import { KeelError } from '../../errors.js';
import { formatVersion, LinearClassifier, type ClassifierInfo, type ClassifierModel } from './classifier.js';
import { FeatureSpace, type BlockWeights, type FeatureSpaceData } from './features.js';
import { blockNames, type TermOptions } from './text-features.js';

const magic = Buffer.from('KEELCLSF', 'ascii');
/** Far above any real model (BANKING77's is ~6 MB unpacked); stops a crafted gzip from filling memory. */
const maxUnpackedBytes = 1 << 30;

interface Header {
  labels: string[];
  info: ClassifierInfo;
  options: TermOptions;
  weights: BlockWeights;
  /** Terms per block, in blockNames' order. */
  terms: number[];
}

function corrupt(why: string, cause?: unknown): KeelError {
  return new KeelError('invalid_input', `the classifier artifact is corrupt or not a classifier: ${why}`, {
    hint: 'Train the classifier again (keel models train <name>).', cause,
  });
}

function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Serialises a classifier trained by trainClassifier (or read by deserializeClassifier). */
export function serializeClassifier(model: ClassifierModel): Buffer {
  if (!(model instanceof LinearClassifier)) {
    throw new KeelError('invalid_input', 'only a classifier trained by Keel can be serialised');
  }
  assertLittleEndian();
  const { labels, priors, space, weights, info } = model.parts;
  const header: Header = {
    labels, info, options: space.data.options, weights: space.data.weights, terms: blockNames.map((name) => space.data.terms[name].length),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const body = Buffer.concat([
    length, json,
    ...blockNames.map((name) => bytesOf(space.data.terms[name])),
    bytesOf(priors), bytesOf(space.data.idf), bytesOf(weights.bias), bytesOf(weights.scales), bytesOf(weights.levels),
  ]);
  const version = Buffer.alloc(4);
  version.writeUInt32LE(formatVersion);
  return Buffer.concat([magic, version, gzipSync(body)]);
}

/** Reads an artifact written by serializeClassifier; throws KeelError('invalid_input') on anything else. */
export function deserializeClassifier(bytes: Uint8Array): ClassifierModel {
  assertLittleEndian();
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (all.length < magic.length + 4 || !all.subarray(0, magic.length).equals(magic)) throw corrupt('it does not start with the classifier signature');
  const version = all.readUInt32LE(magic.length);
  if (version !== formatVersion) {
    throw new KeelError('invalid_input', `the classifier artifact has format version ${version}; this Keel reads version ${formatVersion}`, {
      hint: 'Train the classifier again with this version of Keel.',
    });
  }
  let body: Buffer;
  try {
    body = gunzipSync(all.subarray(magic.length + 4), { maxOutputLength: maxUnpackedBytes });
  } catch (error) {
    throw corrupt(`its compressed body does not unpack (${(error as Error).message})`, error);
  }
  if (body.length < 4) throw corrupt('its body is too short');
  const headerLength = body.readUInt32LE(0);
  if (headerLength > body.length - 4) throw corrupt('its header is longer than the body');
  let header: Header;
  try {
    header = JSON.parse(body.subarray(4, 4 + headerLength).toString('utf8')) as Header;
  } catch (error) {
    throw corrupt('its header is not JSON', error);
  }
  const { labels, info, options, weights, terms } = checkHeader(header);
  const features = terms.reduce((s, n) => s + n, 0);
  const classes = labels.length;
  // A copy per section: typed arrays need aligned offsets, and the sections must outlive `body`.
  let at = 4 + headerLength;
  const take = (count: number, size: number): ArrayBuffer => {
    const end = at + count * size;
    if (end > body.length) throw corrupt(`it is shorter than its header says (${body.length} bytes)`);
    const copy = new Uint8Array(count * size);
    copy.set(body.subarray(at, end));
    at = end;
    return copy.buffer;
  };
  const termArrays = terms.map((n) => new Uint32Array(take(n, 4)));
  const priors = new Float64Array(take(classes, 8));
  const idf = new Float32Array(take(features, 4));
  const bias = new Float32Array(take(classes, 4));
  const scales = new Float32Array(take(features, 4));
  const levels = new Int8Array(take(features * classes, 1));
  if (at !== body.length) throw corrupt(`it has ${body.length - at} bytes more than its header says`);
  termArrays.forEach((t, b) => {
    for (let i = 1; i < t.length; i++) if (t[i]! <= t[i - 1]!) throw corrupt(`the ${blockNames[b]} terms are not in ascending order`);
  });
  for (const [name, values] of [['idf', idf], ['bias', bias], ['scales', scales], ['priors', priors]] as const) {
    if (!values.every(Number.isFinite)) throw corrupt(`its ${name} values are not all finite numbers`);
  }
  if (priors.some((p) => p < 0) || Math.abs(priors.reduce((s, p) => s + p, 0) - 1) > 1e-6) throw corrupt('its label frequencies do not sum to 1');
  if (levels.some((v) => v === -128)) throw corrupt('its weights hold a level outside -127..127');
  const space = new FeatureSpace({
    options, weights, idf, terms: Object.fromEntries(blockNames.map((name, b) => [name, termArrays[b]!])) as FeatureSpaceData['terms'],
  });
  return new LinearClassifier({ labels, priors, space, weights: { classes, features, levels, scales, bias }, info });
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

function checkHeader(header: Header): Header {
  if (typeof header !== 'object' || header === null) throw corrupt('its header is not an object');
  const { labels, info, options, weights, terms } = header;
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string' && l !== '')) throw corrupt('its labels are missing');
  if (new Set(labels).size !== labels.length) throw corrupt('its labels repeat');
  if (!Array.isArray(terms) || terms.length !== blockNames.length || !terms.every(isCount)) throw corrupt('its term counts are missing');
  if (typeof options !== 'object' || options === null || ![options.charMin, options.charMax, options.pairDistance].every(isCount) || options.charMin < 1 || options.charMax < options.charMin) {
    throw corrupt('its text options are missing or out of range');
  }
  if (typeof weights !== 'object' || weights === null || !blockNames.every((name) => typeof weights[name] === 'number' && weights[name] >= 0 && Number.isFinite(weights[name]))) {
    throw corrupt('its block weights are missing');
  }
  if (!blockNames.some((name) => weights[name] > 0)) throw corrupt('its block weights are all zero');
  if (typeof info !== 'object' || info === null || !isPositive(info.temperature) || !isCount(info.trainedOn) || !isCount(info.features)
    || !isCount(info.trainingMs) || !isCount(info.calibratedOn) || info.formatVersion !== formatVersion) {
    throw corrupt('its info is missing or out of range');
  }
  if (info.features !== terms.reduce((s, n) => s + n, 0)) throw corrupt('its feature count does not match its terms');
  return header;
}

function assertLittleEndian(): void {
  // The sections are written as the machine's typed arrays; every platform Node supports today is little-endian.
  if (endianness() !== 'LE') throw new KeelError('misconfigured', 'classifier artifacts are read and written on little-endian machines only');
}
