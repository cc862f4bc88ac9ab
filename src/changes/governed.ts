// The governed parts of a workflow version: what changes the behaviour of a production workflow
// enough that its owner must approve it first (prompts, model settings, grants, the approval
// boundary). Everything else (descriptions, transform expressions, triggers, metrics...) deploys
// without a change request. Pure: two versions in, the governed differences out.
import { diffValues, isObject, type DiffEntry } from '../diff.js';
import type { StepKind, WorkflowSpec } from '../spec/index.js';

export const governedAreas = ['prompts', 'model_settings', 'grants', 'approval_boundary'] as const;
export type GovernedArea = (typeof governedAreas)[number];

/** One difference in a governed area, at a readable path (`steps[draft].template`, `library[support/reply@production]`). */
export interface GovernedChange extends DiffEntry {
  area: GovernedArea;
}

/** What a version holds that the change process looks at: its definition and the library versions it pinned. */
export interface GovernedSnapshot {
  definition: WorkflowSpec;
  /** Library reference -> the library version id it was pinned to (workflow_versions.library_versions). */
  library_versions?: Readonly<Record<string, string>> | null;
}

/**
 * The governed fields of each step kind. A step's `min_confidence`, `on_failure` and `review` decide
 * whether its answer is acted on or sent to a person, so they belong to the boundary like the
 * `approval` section; so does a review step's policy (removing a review step removes a checkpoint).
 */
const stepFields: Readonly<Record<GovernedArea, Partial<Record<StepKind, readonly string[]>>>> = {
  prompts: { model: ['prompt', 'template', 'output_schema'], classify: ['labels'] },
  model_settings: { model: ['model'], classify: ['model'] },
  grants: {},
  approval_boundary: {
    model: ['min_confidence', 'on_failure', 'review'],
    classify: ['min_confidence', 'review'],
    review: ['assign', 'on_reject', 'due', 'escalate_to', 'deadline', 'on_deadline', 'quorum'],
  },
};

/** The fields of a library prompt that are model settings or boundary; every other field is the prompt itself. */
const libraryFieldArea: Readonly<Record<string, GovernedArea>> = {
  model: 'model_settings', parameters: 'model_settings', confidence_threshold: 'approval_boundary',
};

/**
 * The governed differences from one version to another, grouped by area in `governedAreas` order.
 * `library` maps library version ids to their content: when both versions of a changed reference
 * are in it, the entry's own fields are diffed too (a new `parameters.temperature` is a model
 * setting; a new template is a prompt); without it the change shows as the pinned version alone.
 */
export function governedChanges(from: GovernedSnapshot, to: GovernedSnapshot, library: Readonly<Record<string, unknown>> = {}): GovernedChange[] {
  const a = from.definition;
  const b = to.definition;
  const out: Record<GovernedArea, DiffEntry[]> = { prompts: [], model_settings: [], grants: [], approval_boundary: [] };
  for (const area of governedAreas) out[area].push(...stepChanges(a.steps ?? [], b.steps ?? [], area));
  libraryChanges(from.library_versions ?? {}, to.library_versions ?? {}, library, out);
  out.model_settings.push(...section('budget', a.budget, b.budget));
  out.grants.push(
    ...section('access', a.access ?? [], b.access ?? []),
    // A version stored before `on_access_denied` existed behaves as `fail`, its default.
    ...section('on_access_denied', a.on_access_denied ?? 'fail', b.on_access_denied ?? 'fail'),
  );
  out.approval_boundary.push(
    ...section('approval', a.approval, b.approval),
    ...section('exclusions', a.exclusions ?? [], b.exclusions ?? []),
    // Risk decides the boundary's default when `approval.default` is absent (high risk: review).
    ...section('risk', a.risk, b.risk),
    // A version's gates say what its own promotion needs, so lowering them is a change to govern.
    ...section('gates', a.gates, b.gates),
  );
  return governedAreas.flatMap((area) => out[area].map((entry) => ({ area, ...entry })));
}

/** The areas a list of changes touches, in `governedAreas` order. */
export function changedAreas(changes: readonly GovernedChange[]): GovernedArea[] {
  return governedAreas.filter((area) => changes.some((c) => c.area === area));
}

/** How list items are named in paths: steps and exclusions by name, grants by connector. */
function itemKey(item: unknown, index: number): string {
  if (typeof item === 'string') return item;
  if (!isObject(item)) return String(index);
  const key = item.id ?? item.name ?? item.connector;
  return typeof key === 'string' ? key : String(index);
}

function section(path: string, before: unknown, after: unknown): DiffEntry[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ path, change: 'added', after }];
  if (after === undefined) return [{ path, change: 'removed', before }];
  return diffValues(before, after, { itemKey }, path);
}

type Step = WorkflowSpec['steps'][number];

/** The step's governed fields in one area (those set), or undefined when the kind has none there. */
function pick(step: Step | undefined, area: GovernedArea): Record<string, unknown> | undefined {
  const fields = step ? stepFields[area][step.kind] : undefined;
  if (!step || !fields) return undefined;
  const record = step as unknown as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => record[f] !== undefined).map((f) => [f, record[f]]));
}

/** Steps are matched by id, so a reordered workflow shows no change and a renamed step shows as removed and added. */
function stepChanges(before: readonly Step[], after: readonly Step[], area: GovernedArea): DiffEntry[] {
  const ids = [...new Set([...before, ...after].map((s) => s.id))];
  return ids.flatMap((id) => {
    const a = pick(before.find((s) => s.id === id), area);
    const b = pick(after.find((s) => s.id === id), area);
    const path = `steps[${id}]`;
    if (a === undefined && b === undefined) return [];
    if (a === undefined) return Object.keys(b!).length > 0 ? [{ path, change: 'added' as const, after: b }] : [];
    if (b === undefined) return Object.keys(a).length > 0 ? [{ path, change: 'removed' as const, before: a }] : [];
    return diffValues(a, b, { itemKey }, path);
  });
}

/**
 * A pinned library version that changed is a prompt change; where both versions' content is known,
 * the fields that changed are added to the area each belongs to (`into`), under the same reference.
 */
function libraryChanges(
  before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>, library: Readonly<Record<string, unknown>>,
  into: Record<GovernedArea, DiffEntry[]>,
): void {
  const refs = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const pinned = into.prompts;
  for (const ref of refs) {
    const path = `library[${ref}]`;
    const a = before[ref];
    const b = after[ref];
    if (a === b) continue;
    if (a === undefined) pinned.push({ path, change: 'added', after: b });
    else if (b === undefined) pinned.push({ path, change: 'removed', before: a });
    else {
      pinned.push({ path, change: 'changed', before: a, after: b });
      const contentA = library[a];
      const contentB = library[b];
      if (!isObject(contentA) || !isObject(contentB)) continue;
      for (const entry of diffValues(contentA, contentB, { itemKey }, path)) {
        const field = entry.path.slice(path.length + 1).split(/[.[]/)[0] ?? '';
        into[libraryFieldArea[field] ?? 'prompts'].push(entry);
      }
    }
  }
}
