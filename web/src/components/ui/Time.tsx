// Times as people think of them: "4 min ago", "due in 12 min", with the exact time on hover.
import { useSyncExternalStore } from 'react';

export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

// One clock for the page, ticking each second while anything shows a time: two rows next to each
// other never disagree about how old they are.
let clockNow = Date.now();
const clockListeners = new Set<() => void>();
let clockTimer: ReturnType<typeof setInterval> | undefined;

function subscribeClock(listener: () => void): () => void {
  clockListeners.add(listener);
  clockTimer ??= setInterval(() => {
    clockNow = Date.now();
    for (const l of clockListeners) l();
  }, 1000);
  return () => {
    clockListeners.delete(listener);
    if (clockListeners.size === 0 && clockTimer) {
      clearInterval(clockTimer);
      clockTimer = undefined;
    }
  };
}

/** The page's shared clock, re-rendering each second so ages and countdowns move. */
export function useNow(): number {
  return useSyncExternalStore(subscribeClock, () => clockNow);
}

export function Ago({ at }: { at: string | null | undefined }) {
  const now = useNow();
  if (!at) return <span className="muted">never</span>;
  const t = new Date(at);
  return <time dateTime={at} title={t.toLocaleString()}>{formatDuration(now - t.getTime())} ago</time>;
}

/** An SLA or deadline: counts down, then says how long it is overdue. */
export function Countdown({ at, label = 'due' }: { at: string | null | undefined; label?: string }) {
  const now = useNow();
  if (!at) return <span className="muted">no {label}</span>;
  const left = new Date(at).getTime() - now;
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()} className={left < 0 ? 'overdue' : left < 15 * 60_000 ? 'soon' : ''}>
      {left < 0 ? `overdue ${formatDuration(left)}` : `${label} in ${formatDuration(left)}`}
    </time>
  );
}
