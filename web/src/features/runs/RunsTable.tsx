// The runs list's table: one row per run, newest first, with what an operator scans for (status,
// why it stopped, how long it took) and a link to the run's timeline.
import type { Run } from '../../lib/api-types';
import { Link } from '../../lib/router';
import { Status } from '../../components/ui/Status';
import { Ago, useNow } from '../../components/ui/Time';
import { formatMs, isFinished, runReason, spanMs } from './run-format';
import { useVersionNumbers, versionLabel } from './use-version-numbers';

export function RunsTable({ runs }: { runs: Run[] }) {
  const versionOf = useVersionNumbers(runs);
  return (
    <div className="table-wrap">
      <table className="runs-table" aria-label="Runs">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Workflow</th>
            <th scope="col">Version</th>
            <th scope="col">Stage</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col" className="hide-narrow">Trigger</th>
            <th scope="col">Created</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-run={r.id}>
              <td><Link to={`/runs/${encodeURIComponent(r.id)}`}><code>{r.id}</code></Link></td>
              <td><Link to={`/workflows/${encodeURIComponent(r.workflow_id)}`}>{r.workflow_id}</Link></td>
              <td title={r.version_id}>{versionLabel(versionOf(r.version_id), r.version_id)}</td>
              <td>{r.stage}</td>
              <td><Status value={r.status} /></td>
              <td>{reasonCell(r)}</td>
              <td className="hide-narrow">{r.trigger_kind}</td>
              <td><Ago at={r.created_at} /></td>
              <td><Duration run={r} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function reasonCell(r: Run) {
  const reason = runReason(r);
  if (!reason) return <span className="muted">–</span>;
  // The error's message is one hover away; the code is what people filter and search by.
  return <code title={r.error?.message}>{reason}</code>;
}

/** From start (or creation, for a run still queued) to finish; a run still going counts up. */
function Duration({ run }: { run: Run }) {
  if (isFinished(run)) return <>{formatMs(spanMs(run.started_at ?? run.created_at, run.finished_at))}</>;
  return <Running from={run.started_at ?? run.created_at} />;
}

function Running({ from }: { from: string }) {
  const now = useNow();
  return <span className="muted" title="Still going">{formatMs(spanMs(from, null, now))}…</span>;
}
