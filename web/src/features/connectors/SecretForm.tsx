// Storing a new value of a connector's secret (rotation), for its owner or an admin. The value goes
// to the server once and is not kept in the page afterwards: the field is cleared whatever the
// answer, and the answer holds only the new version and rotation date.
import { useState, type FormEvent } from 'react';
import { api, describeError } from '../../lib/api';
import type { ConnectorDetail } from '../../lib/api-types';

/** The secret names a connector's config refers to: by Keel's convention, the values of `*_secret` fields. */
export function secretNamesOf(config: unknown): string[] {
  const names = new Set<string>();
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key.endsWith('_secret') && typeof inner === 'string') names.add(inner);
        else walk(inner);
      }
    }
  };
  walk(config);
  return [...names].sort();
}

export function SecretForm({ connector, onStored }: { connector: ConnectorDetail; onStored(text: string): void }) {
  const names = secretNamesOf(connector.config);
  const [name, setName] = useState(names[0] ?? '');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (names.length === 0) return null;
  if (connector.source === 'file') {
    return <p className="muted small">Its secrets come from the references in its connectors/*.yaml file; rotate them there (the new value is sealed at the next start).</p>;
  }
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const meta = await api.put<{ name: string; version: number }>(`/api/connectors/${encodeURIComponent(connector.id)}/secrets/${encodeURIComponent(name)}`, { value });
      onStored(`Stored ${meta.name}: version ${meta.version}.`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setValue('');
      setBusy(false);
    }
  }
  return (
    <form className="kc-secret-form" onSubmit={submit} aria-label="Store a new secret value">
      <h3>Store a new value</h3>
      <label>Secret <select value={name} onChange={(e) => setName(e.target.value)}>{names.map((n) => <option key={n} value={n}>{n}</option>)}</select></label>
      <label>New value <input type="password" autoComplete="off" spellCheck={false} value={value} onChange={(e) => setValue(e.target.value)} required /></label>
      <button type="submit" disabled={busy || value === ''}>Store</button>
      {error ? <p className="error" role="alert">{error}</p> : null}
    </form>
  );
}
