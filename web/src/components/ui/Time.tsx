// Times as people think of them: "4 min ago", "due in 12 min", with the exact time on hover.
import { useEffect, useState } from 'react';

export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

/** Re-renders every `ms` so ages and countdowns move. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function Ago({ at }: { at: string | null | undefined }) {
  const now = useNow(10_000);
  if (!at) return <span className="muted">never</span>;
  const t = new Date(at);
  return <time dateTime={at} title={t.toLocaleString()}>{formatDuration(now - t.getTime())} ago</time>;
}

/** An SLA or deadline: counts down, then says how long it is overdue. */
export function Countdown({ at, label = 'due' }: { at: string | null | undefined; label?: string }) {
  const now = useNow(1000);
  if (!at) return <span className="muted">no {label}</span>;
  const left = new Date(at).getTime() - now;
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()} className={left < 0 ? 'overdue' : left < 15 * 60_000 ? 'soon' : ''}>
      {left < 0 ? `overdue ${formatDuration(left)}` : `${label} in ${formatDuration(left)}`}
    </time>
  );
}
