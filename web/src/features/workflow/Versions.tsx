// The versions of a workflow, newest first, and what changed between any two of them.
import { api } from '../../lib/api';
import type { VersionDiff, VersionSummary, Workflow } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { setQuery } from '../../lib/router';
import { Ago } from '../../components/ui/Time';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { SideBySideDiff } from './SideBySideDiff';

export function Versions({ workflow, versions, from, to }: { workflow: Workflow; versions: VersionSummary[]; from?: number; to?: number }) {
  const numbers = versions.map((v) => v.number);
  const toN = to !== undefined && numbers.includes(to) ? to : numbers[0];
  const fromN = from !== undefined && numbers.includes(from) ? from : numbers.find((n) => toN !== undefined && n < toN) ?? numbers[1];
  const stagesAt = (n: number) => workflow.deployments.filter((d) => d.version_number === n).map((d) => d.stage);
  return (
    <section aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr><th scope="col">Version</th><th scope="col">Created by</th><th scope="col">Created</th><th scope="col" className="hide-narrow">Source file</th><th scope="col">Deployed to</th></tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id}>
                <th scope="row">v{v.number} <code className="muted small" title={v.content_hash}>{v.content_hash.slice(0, 8)}</code></th>
                <td className="wrap-anywhere">{v.created_by}</td>
                <td><Ago at={v.created_at} /></td>
                <td className="hide-narrow wrap-anywhere">{v.source_name ?? <span className="muted">none</span>}</td>
                <td>{stagesAt(v.number).join(', ') || <span className="muted">none</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Compare two versions</h3>
      {versions.length < 2 || fromN === undefined || toN === undefined ? (
        <p className="muted">Only one version so far: there is nothing to compare yet.</p>
      ) : (
        <>
          <div className="filters">
            <label>
              From version
              <select value={fromN} onChange={(e) => setQuery({ from: e.target.value })}>
                {numbers.map((n) => <option key={n} value={n}>v{n}</option>)}
              </select>
            </label>
            <label>
              To version
              <select value={toN} onChange={(e) => setQuery({ to: e.target.value })}>
                {numbers.map((n) => <option key={n} value={n}>v{n}</option>)}
              </select>
            </label>
          </div>
          <Diff id={workflow.id} from={fromN} to={toN} />
        </>
      )}
    </section>
  );
}

function Diff({ id, from, to }: { id: string; from: number; to: number }) {
  const diff = useResource(() => api.get<VersionDiff>(`/api/workflows/${encodeURIComponent(id)}/diff`, { from, to }), [id, from, to]);
  if (from === to) return <p className="muted">Choose two different versions.</p>;
  return (
    <>
      <ErrorNote error={diff.error} />
      {diff.data ? <SideBySideDiff diff={diff.data} fromLabel={`v${from}`} toLabel={`v${to}`} /> : diff.error ? null : <Loading what="the diff" />}
    </>
  );
}
