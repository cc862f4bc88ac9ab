// Figures the server computes in the background (the tracer's rollups, monitor verdicts, incidents)
// change without an event for them on the live stream, so the views that show them ask again on a
// timer. Not while the tab is hidden: nobody is looking, and the server has other work.
import { useEffect, useRef } from 'react';

/** Calls `fn` every `ms` while `active` holds and the page is visible, and once when it becomes visible again. */
export function usePolling(fn: () => void, ms: number, active = true): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    if (!active) return undefined;
    const tick = () => {
      if (document.visibilityState !== 'hidden') latest.current();
    };
    const timer = setInterval(tick, ms);
    const onVisible = () => {
      if (document.visibilityState === 'visible') latest.current();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ms, active]);
}
