// Loads what a view shows and keeps the last good answer while reloading, so a live refresh never
// blanks the page; the error of a failed reload is shown beside the old data.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const call = ++latest.current;
    setLoading(true);
    load().then(
      (d) => {
        if (call !== latest.current) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (call !== latest.current) return;
        setError(e);
        setLoading(false);
      },
    );
  }, [...deps, tick]);
  // A change of what is asked for drops the old answer; a reload keeps it.
  const depsKey = JSON.stringify(deps);
  const lastKey = useRef(depsKey);
  if (lastKey.current !== depsKey) {
    lastKey.current = depsKey;
    if (data !== undefined) setData(undefined);
  }
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
