// Runs carry their version's id, people talk about "v3": the number comes from the workflow's
// version list, fetched once per workflow and again only when a run names a version not seen yet
// (a deploy since). Kept for the page's life, since versions are immutable.
import { useEffect, useState } from 'react';
import { api } from '../../lib/api';
import type { VersionSummary } from '../../lib/api-types';

const numbers = new Map<string, number>();
/** Workflow + version pairs already asked for, so a version the list lacks is not asked for in a loop. */
const asked = new Set<string>();
const listeners = new Set<() => void>();

async function loadVersions(workflowId: string): Promise<void> {
  try {
    const { versions } = await api.get<{ versions: VersionSummary[] }>(`/api/workflows/${encodeURIComponent(workflowId)}/versions`);
    for (const v of versions) numbers.set(v.id, v.number);
  } catch {
    // Without the list the page shows the version id instead; nothing else depends on it.
  }
  for (const l of listeners) l();
}

/** The number of each version id the given runs name; undefined until known (or when unknowable). */
export function useVersionNumbers(runs: { workflow_id: string; version_id: string }[] | undefined): (versionId: string) => number | undefined {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  const missing = new Set<string>();
  for (const r of runs ?? []) {
    const key = `${r.workflow_id}\n${r.version_id}`;
    if (!numbers.has(r.version_id) && !asked.has(key)) missing.add(r.workflow_id);
  }
  const missingKey = [...missing].sort().join(',');
  useEffect(() => {
    if (!missingKey) return;
    for (const r of runs ?? []) asked.add(`${r.workflow_id}\n${r.version_id}`);
    for (const w of missingKey.split(',')) void loadVersions(w);
    // `runs` is read for the pairs being asked now; missingKey says when that set changes.
  }, [missingKey]);
  return (versionId) => numbers.get(versionId);
}

/** "v3", or the start of the id while the number is not known. */
export function versionLabel(number: number | undefined, versionId: string): string {
  return number !== undefined ? `v${number}` : versionId.slice(0, 10);
}
