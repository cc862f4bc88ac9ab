// When a file fails the shape check, the parts that are sound on their own still get the semantic
// checks, so a bad timeout on one step does not hide that step's dangling `next` or broken JSONata.
import type { z } from 'zod';
import { zodIssuesToProblems } from './issues.js';
import type { PathSegment } from './locate.js';
import { approvalRuleSchema, stepSchema, triggerSchema, workflowSchema } from './schema.js';
import type { CheckableWorkflow } from './semantic.js';

export function salvage(raw: unknown): CheckableWorkflow {
  const obj = isRecord(raw) ? raw : {};
  // Absent lists are empty (their default); present non-lists are unknown and already reported.
  const list = (v: unknown): unknown[] | undefined => (v === undefined ? [] : Array.isArray(v) ? v : undefined);
  const kind = workflowSchema.shape.kind.safeParse(obj.kind);
  const steps = list(obj.steps);
  const salvagedSteps = steps?.map((s) => salvageItem(stepSchema, s));
  const rules = isRecord(obj.approval) ? list(obj.approval.rules) : [];
  return {
    kind: kind.success ? kind.data : undefined,
    triggers: list(obj.triggers)?.map((t) => salvageItem(triggerSchema, t).value),
    input: obj.input,
    steps: salvagedSteps?.map((s) => s.value),
    // A trimmed step may have lost its `next`; its edges would be guesses, so the graph is skipped.
    stepsExact: salvagedSteps?.every((s) => s.exact) ?? false,
    stepIds: steps?.map((s) => (isRecord(s) && typeof s.id === 'string' ? s.id : undefined)),
    approvalRules: (rules ?? []).map((r) => salvageItem(approvalRuleSchema, r).value),
    exclusionConditions: (list(obj.exclusions) ?? []).map((e) => (isRecord(e) && typeof e.when === 'string' ? e.when : undefined)),
    approvalOutput: isRecord(obj.approval) && typeof obj.approval.output === 'string' ? obj.approval.output : undefined,
  };
}

/**
 * Parses one item; if it fails, drops the offending optional fields and tries once more. Fields
 * inside lists are never dropped, because removing an element would shift the indices that later
 * problems are reported at.
 */
function salvageItem<S extends z.ZodType>(schema: S, value: unknown): { value: z.output<S> | undefined; exact: boolean } {
  const first = schema.safeParse(value);
  if (first.success) return { value: first.data, exact: true };
  if (!isRecord(value)) return { value: undefined, exact: false };
  const trimmed = structuredClone(value);
  for (const problem of zodIssuesToProblems(first.error.issues, value, schema)) {
    if (!drop(trimmed, problem.path)) return { value: undefined, exact: false };
  }
  const second = schema.safeParse(trimmed);
  return { value: second.success ? second.data : undefined, exact: false };
}

function drop(root: Record<string, unknown>, path: readonly PathSegment[]): boolean {
  if (path.length === 0) return false;
  let cur: unknown = root;
  for (const seg of path.slice(0, -1)) {
    if (!isRecord(cur)) return false;
    cur = cur[String(seg)];
  }
  const last = path[path.length - 1];
  if (!isRecord(cur) || typeof last !== 'string') return false;
  delete cur[last];
  return true;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
