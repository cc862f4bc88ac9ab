import type { Queryable } from './port.js';

/**
 * A read-through cache for rows that never change once stored (workflow versions, library versions,
 * trained classifiers): kept per database handle, so two databases open in one process (tests, the
 * CLI beside a server) never see each other's rows; the oldest entry goes past `limit`. A failed
 * load is forgotten, so the next caller tries again.
 */
export function createImmutableCache<T>(limit: number): (db: Queryable, key: string, load: () => Promise<T>) => Promise<T> {
  const caches = new WeakMap<Queryable, Map<string, Promise<T>>>();
  return (db, key, load) => {
    let cache = caches.get(db);
    if (!cache) caches.set(db, (cache = new Map()));
    const hit = cache.get(key);
    if (hit) return hit;
    const loading = load();
    if (cache.size >= limit) cache.delete(cache.keys().next().value!);
    cache.set(key, loading);
    const entries = cache;
    loading.catch(() => { if (entries.get(key) === loading) entries.delete(key); });
    return loading;
  };
}
