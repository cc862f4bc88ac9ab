// Connector secrets at rest: the instance key (key.ts), sealing with AES-256-GCM bound to the row
// (cipher.ts), and the versioned store with rotation dates (store.ts). Other code holds a SecretKey
// (an id, never the bytes) and reads a value only through readSecret, at the moment it is needed.
export { loadSecretKey, secretKeyFromText, type SecretKey } from './key.js';
export {
  putSecret, readSecret, listSecrets, secretsDueForRotation, secretsSealedWithOtherKeys,
  type PutSecretInput, type PutSecretResult, type SecretMeta,
} from './store.js';
