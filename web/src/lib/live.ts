// Live updates: one EventSource per page on GET /api/events (server-sent events), shared by every
// view that listens. When the stream cannot be held (a proxy that buffers, a server without it),
// the views are told to refetch every few seconds instead, and the header says so.
import { useEffect, useRef, useSyncExternalStore } from 'react';

export type LiveKind = 'run' | 'review';

/** What the server sends for each change; views refetch what they show rather than patch it. */
export interface LiveEvent {
  kind: LiveKind;
  id: string;
  workflow_id: string;
  status: string;
  /** Set by the polling fallback: something may have changed, nobody said what. */
  poll?: true;
}

export type LiveMode = 'connecting' | 'live' | 'polling';

const pollMs = 5000;
const subscribers = new Set<(e: LiveEvent) => void>();
const modeListeners = new Set<() => void>();
let mode: LiveMode = 'connecting';
let source: EventSource | undefined;
let pollTimer: ReturnType<typeof setInterval> | undefined;
let failures = 0;

function setMode(next: LiveMode): void {
  if (mode === next) return;
  mode = next;
  for (const l of modeListeners) l();
}

function emit(e: LiveEvent): void {
  for (const s of subscribers) s(e);
}

function startPolling(): void {
  source?.close();
  source = undefined;
  setMode('polling');
  pollTimer ??= setInterval(() => {
    emit({ kind: 'run', id: '', workflow_id: '', status: '', poll: true });
    emit({ kind: 'review', id: '', workflow_id: '', status: '', poll: true });
  }, pollMs);
}

function connect(): void {
  if (source || pollTimer || typeof EventSource === 'undefined') {
    if (typeof EventSource === 'undefined') startPolling();
    return;
  }
  const es = new EventSource('/api/events');
  source = es;
  es.addEventListener('ready', () => {
    failures = 0;
    setMode('live');
  });
  for (const kind of ['run', 'review'] as const) {
    es.addEventListener(kind, (m) => {
      try {
        emit({ ...(JSON.parse((m as MessageEvent<string>).data) as Omit<LiveEvent, 'kind'>), kind });
      } catch {
        // A malformed message is the server's bug; the next refetch shows the truth anyway.
      }
    });
  }
  es.onerror = () => {
    // EventSource retries by itself; after three failures in a row, poll instead.
    failures++;
    if (failures >= 3 || es.readyState === EventSource.CLOSED) startPolling();
    else setMode('connecting');
  };
}

/** Calls onEvent for each change of the given kinds (and on every poll when polling). */
export function useLive(kinds: LiveKind[], onEvent: (e: LiveEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = kinds.join(',');
  useEffect(() => {
    connect();
    const wanted = new Set(key.split(','));
    const sub = (e: LiveEvent) => {
      if (wanted.has(e.kind)) handler.current(e);
    };
    subscribers.add(sub);
    return () => void subscribers.delete(sub);
  }, [key]);
}

export function useLiveMode(): LiveMode {
  return useSyncExternalStore(
    (l) => {
      modeListeners.add(l);
      return () => void modeListeners.delete(l);
    },
    () => mode,
  );
}
