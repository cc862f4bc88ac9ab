// The queue's data: the open tasks for the person's roles, filtered by the URL, kept current by live
// updates. A burst of events (a bulk approval decides fifty tasks) reloads at most once a second.
import { useCallback, useEffect, useRef } from 'react';
import { api } from '../../lib/api';
import type { Review, Workflow } from '../../lib/api-types';
import { useLive, type LiveEvent } from '../../lib/live';
import { useResource, type Resource } from '../../lib/resource';

export interface QueueFilters {
  order: 'oldest' | 'urgent';
  workflow?: string;
  /** `all`: every open task the person can see, not only those for their roles. */
  scope: 'mine' | 'all';
}

export function filtersFrom(query: URLSearchParams): QueueFilters {
  return {
    order: query.get('order') === 'urgent' ? 'urgent' : 'oldest',
    workflow: query.get('workflow') || undefined,
    scope: query.get('scope') === 'all' ? 'all' : 'mine',
  };
}

/** Calls `fn` now, or once when a second has passed since the last call; never more often. */
export function useThrottled(fn: () => void, ms = 1000): () => void {
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      latest.current();
    } else {
      timer.current ??= setTimeout(() => {
        timer.current = undefined;
        last.current = Date.now();
        latest.current();
      }, wait);
    }
  }, [ms]);
}

export function useQueue(filters: QueueFilters, onEvent?: (e: LiveEvent) => void): Resource<Review[]> {
  const queue = useResource(
    () => api.get<{ reviews: Review[] }>('/api/reviews', {
      state: 'open', mine: filters.scope === 'mine' ? 'true' : undefined, order: filters.order, workflow: filters.workflow, limit: 200,
    }).then((b) => b.reviews),
    [filters.order, filters.workflow, filters.scope],
  );
  const reload = useThrottled(queue.reload);
  useLive(['review'], (e) => {
    reload();
    onEvent?.(e);
  });
  return queue;
}

/** The workflows the person can see, by id: their titles and risk, which the task rows do not carry. */
export function useWorkflows(): Map<string, Workflow> {
  const r = useResource(() => api.get<{ workflows: Workflow[] }>('/api/workflows').then((b) => b.workflows), []);
  // A failure here only costs the risk column and the filter's titles; the queue still works.
  return new Map((r.data ?? []).map((w) => [w.id, w]));
}
