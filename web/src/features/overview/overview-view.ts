// What the overview shows of the registry: the filters and sort a person chose, read from and
// written to the URL query so a view can be linked, reloaded and shared.
import type { OverviewWorkflow } from '../../lib/api-types';
import { stages } from '../../components/ui/Badges';

export const sortKeys = ['title', 'kind', 'owner', 'team', 'stage', 'risk', 'health', 'runs', 'coverage', 'override', 'queue', 'oldest'] as const;
export type SortKey = (typeof sortKeys)[number];
export type SortDir = 'asc' | 'desc';

export interface OverviewView {
  q: string;
  owner: string;
  team: string;
  /** A stage the workflow must be deployed to, or `none` for workflows deployed nowhere. */
  stage: string;
  risk: string;
  sort: SortKey;
  dir: SortDir;
}

export function readView(query: URLSearchParams): OverviewView {
  const sort = query.get('sort') ?? '';
  return {
    q: query.get('q') ?? '', owner: query.get('owner') ?? '', team: query.get('team') ?? '',
    stage: query.get('stage') ?? '', risk: query.get('risk') ?? '',
    sort: (sortKeys as readonly string[]).includes(sort) ? (sort as SortKey) : 'title',
    dir: query.get('dir') === 'desc' ? 'desc' : 'asc',
  };
}

export function isFiltered(view: OverviewView): boolean {
  return Boolean(view.q || view.owner || view.team || view.stage || view.risk);
}

const riskRank = { low: 0, medium: 1, high: 2 };
// Worst first when sorted descending: what needs attention comes to the top.
const healthRank = { not_deployed: 0, idle: 1, ok: 2, paused: 3, stuck: 4, failing: 5 };

/** The furthest stage reached: production outranks sandbox, and so on; nothing deployed ranks lowest. */
function stageRank(w: OverviewWorkflow): number {
  return Math.max(0, ...w.stages.map((s) => stages.indexOf(s.stage) + 1));
}

function sortValue(w: OverviewWorkflow, key: SortKey): string | number | null {
  switch (key) {
    case 'title': return w.title.toLowerCase();
    case 'kind': return w.kind;
    case 'owner': return w.owner.toLowerCase();
    case 'team': return w.team?.toLowerCase() ?? null;
    case 'stage': return stageRank(w);
    case 'risk': return riskRank[w.risk];
    case 'health': return healthRank[w.health];
    case 'runs': return w.runs_today;
    case 'coverage': return w.coverage_pct;
    case 'override': return w.override_pct;
    case 'queue': return w.queue_open;
    // Older is "more": sorting descending puts the longest-waiting queue first.
    case 'oldest': return w.queue_oldest_at ? -new Date(w.queue_oldest_at).getTime() : null;
  }
}

function matches(w: OverviewWorkflow, view: OverviewView): boolean {
  if (view.owner && w.owner !== view.owner) return false;
  if (view.team && (w.team ?? '') !== view.team) return false;
  if (view.risk && w.risk !== view.risk) return false;
  if (view.stage === 'none' && w.stages.length > 0) return false;
  if (view.stage && view.stage !== 'none' && !w.stages.some((s) => s.stage === view.stage)) return false;
  if (view.q) {
    const words = view.q.toLowerCase().split(/\s+/).filter(Boolean);
    const text = [w.id, w.title, w.owner, w.team ?? '', w.kind].join(' ').toLowerCase();
    if (!words.every((word) => text.includes(word))) return false;
  }
  return true;
}

/** The rows to show, filtered and sorted; workflows without a value for the sort column go last either way. */
export function applyView(workflows: readonly OverviewWorkflow[], view: OverviewView): OverviewWorkflow[] {
  const sign = view.dir === 'asc' ? 1 : -1;
  return workflows.filter((w) => matches(w, view)).sort((a, b) => {
    const x = sortValue(a, view.sort);
    const y = sortValue(b, view.sort);
    if (x === null || y === null) return x === y ? a.title.localeCompare(b.title) : x === null ? 1 : -1;
    const c = x < y ? -1 : x > y ? 1 : 0;
    return c !== 0 ? c * sign : a.title.localeCompare(b.title);
  });
}

/** The distinct values of a field, for the filter menus. */
export function choices(workflows: readonly OverviewWorkflow[], pick: (w: OverviewWorkflow) => string | null): string[] {
  return [...new Set(workflows.map(pick).filter((v): v is string => Boolean(v)))].sort((a, b) => a.localeCompare(b));
}
