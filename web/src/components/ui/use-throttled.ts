// Live events arrive in bursts (a run that finishes emits several changes in a few milliseconds);
// refetching a whole view for each one would hammer the server, so reloads are throttled with a
// trailing call: the last change of a burst is always reflected.
import { useCallback, useEffect, useRef } from 'react';

/** A stable function that calls `fn` at most once per `ms`, and once more after a burst ends. */
export function useThrottled(fn: () => void, ms = 1000): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    const wait = last.current + ms - Date.now();
    const run = () => {
      timer.current = undefined;
      last.current = Date.now();
      latest.current();
    };
    if (wait <= 0) run();
    else timer.current = setTimeout(run, wait);
  }, [ms]);
}
