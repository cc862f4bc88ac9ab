// A dataset case as stored: its own file because both the cases and the versions that hold them
// read it (and cases.ts makes versions, so it cannot live there without a cycle).

export interface DatasetCase {
  id: string;
  workflow_id: string;
  dataset: string;
  input: unknown;
  expected: unknown;
  tags: string[];
  /** Where the case came from: `review` for one added from a decided task, `import`, `hand`, or what an imported row said. */
  source: string;
  review_id: string | null;
  created_by: string;
  created_at: Date;
  /** The dataset version that added it, and the one that removed it (null while it is in the latest). */
  added_in: number;
  removed_in: number | null;
}
