import type { WorkflowSpec } from '../spec/index.js';

export const stages = ['design', 'testing', 'sandbox', 'production'] as const;
export type Stage = (typeof stages)[number];

export interface WorkflowRow {
  id: string;
  kind: 'managed' | 'external';
  title: string;
  owner: string;
  team: string | null;
  risk: 'low' | 'medium' | 'high';
  latest_version_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface VersionRow {
  id: string;
  workflow_id: string;
  number: number;
  content_hash: string;
  definition: WorkflowSpec;
  source: string;
  source_name: string | null;
  created_by: string;
  created_at: Date;
  /** Library references the definition makes (`support/reply@production`) and the versions they were pinned to. */
  library_versions: Record<string, string>;
}

export type VersionSummary = Omit<VersionRow, 'definition' | 'source'>;

export interface DeploymentRow {
  workflow_id: string;
  stage: Stage;
  version_id: string;
  version_number: number;
  paused: boolean;
  /** Who paused the stage (a person, or `monitor:<id>`), when and why; null while it runs. */
  paused_at: Date | null;
  paused_by: string | null;
  pause_reason: string | null;
  deployed_by: string;
  deployed_at: Date;
}
