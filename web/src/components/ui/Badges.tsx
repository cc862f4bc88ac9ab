// Workflow-level states (risk, health, where it is deployed) in the same visual language as Status:
// the word is always there, the colour only repeats it.
import type { OverviewWorkflow } from '../../lib/api-types';
import './badges.css';

const stageOrder = ['design', 'testing', 'sandbox', 'production'] as const;
export type StageName = (typeof stageOrder)[number];
export const stages: readonly StageName[] = stageOrder;

const riskTone = { low: 'plain', medium: 'wait', high: 'bad' } as const;
export function Risk({ value }: { value: 'low' | 'medium' | 'high' }) {
  return <span className={`status status-${riskTone[value]}`}>{value} risk</span>;
}

const healthTone: Record<OverviewWorkflow['health'], string> = {
  ok: 'good', failing: 'bad', stuck: 'bad', paused: 'wait', idle: 'plain', not_deployed: 'plain',
};
const healthTitle: Record<OverviewWorkflow['health'], string> = {
  ok: 'Runs are succeeding and no review is past its SLA',
  failing: 'In the last 24 h more runs failed (or ended outcome unknown) than succeeded',
  stuck: 'Review tasks are waiting past their SLA',
  paused: 'Production is paused: new runs are refused',
  idle: 'No run in the last 7 days',
  not_deployed: 'No stage points at a version',
};
export function Health({ value }: { value: OverviewWorkflow['health'] }) {
  return <span className={`status status-${healthTone[value]}`} title={healthTitle[value]}>{value.replace(/_/g, ' ')}</span>;
}

export interface StageEntry {
  stage: StageName;
  version_number: number;
  paused: boolean;
}

/** Where the workflow runs, design -> production, with the version each stage points at. */
export function StageChips({ entries }: { entries: readonly StageEntry[] }) {
  if (entries.length === 0) return <span className="muted">not deployed</span>;
  const sorted = [...entries].sort((a, b) => stageOrder.indexOf(a.stage) - stageOrder.indexOf(b.stage));
  return (
    <ul className="stage-chips">
      {sorted.map((s) => (
        <li key={s.stage} className={`stage-chip stage-${s.stage}${s.paused ? ' stage-paused' : ''}`}>
          {s.stage} v{s.version_number}{s.paused ? <strong> paused</strong> : null}
        </li>
      ))}
    </ul>
  );
}
