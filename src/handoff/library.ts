// The prompts and instructions a workflow version runs on: each library entry it pinned, with its
// version, hash and the labels on it now, the model settings a change would touch, and the known
// failure classes of the file (a failure mode naming a prompt is listed under it, the rest under
// the workflow).
import type { Queryable } from '../db/index.js';
import { isKeelError } from '../errors.js';
import { getLibraryVersionById, listLibrary, parseLibraryRef } from '../prompts/index.js';
import type { VersionRow } from '../registry/index.js';
import type { FailureMode, PromptsSection } from './schemas.js';

const nameOf = (ref: string): string => {
  try {
    return parseLibraryRef(ref).name;
  } catch {
    return ref;
  }
};

export async function promptsSection(db: Queryable, version: VersionRow): Promise<PromptsSection> {
  const spec = version.definition;
  const modes: FailureMode[] = (spec.failure_modes ?? []).map((f) => ({
    name: f.name.trim(), description: f.description.trim(), mitigation: f.mitigation?.trim() || null, prompt: f.prompt ?? null,
  }));
  const pinned = { ...version.library_versions };
  // A step's reference the version did not pin is shown as unresolvable rather than left out.
  for (const s of spec.steps) if (s.kind === 'model' && s.prompt && !(s.prompt in pinned)) pinned[s.prompt] = '';
  const labels = new Map<string, string[]>();
  if (Object.keys(pinned).length > 0) {
    for (const entry of await listLibrary(db)) {
      for (const l of entry.labels) labels.set(l.version_id, [...(labels.get(l.version_id) ?? []), l.label]);
    }
  }
  const claimed = new Set<FailureMode>();
  const entries: PromptsSection['entries'] = [];
  for (const [ref, id] of Object.entries(pinned).sort(([a], [b]) => a.localeCompare(b))) {
    const name = nameOf(ref);
    const own = modes.filter((m) => m.prompt !== null && nameOf(m.prompt) === name);
    for (const m of own) claimed.add(m);
    const v = id ? await getLibraryVersionById(db, id).catch((e: unknown) => (isKeelError(e) && e.code === 'not_found' ? null : Promise.reject(e))) : null;
    const content = v?.content;
    entries.push({
      ref, id: id || null, resolved: v !== null, name, kind: v?.kind ?? null, number: v?.number ?? null, content_hash: v?.content_hash ?? null,
      labels: v ? (labels.get(v.id) ?? []).sort() : [],
      description: content?.description?.trim() || null,
      model: content?.kind === 'prompt' ? content.model ?? null : null,
      parameters: content?.kind === 'prompt' ? { ...(content.parameters ?? {}) } : {},
      failure_modes: own,
    });
  }
  const models = spec.steps.flatMap((s): PromptsSection['models'] => {
    if (s.kind === 'model') {
      const model = s.model ?? entries.find((e) => e.ref === s.prompt)?.model ?? 'default';
      return [{ step: s.id, kind: s.kind, model, source: s.prompt ? `prompt ${s.prompt}` : 'inline template' }];
    }
    if (s.kind === 'classify') return [{ step: s.id, kind: s.kind, model: s.model, source: s.labels ? `labels (${s.labels.length})` : 'trained classifier' }];
    return [];
  });
  return { entries, models, workflow_failure_modes: modes.filter((m) => !claimed.has(m)) };
}
