// Drift (GET /api/workflows/{id}/drift): how far the recent window's labels, routes, confidence and
// output lengths moved from the baseline window before it, as a population stability index per
// feature, the values that moved most, and the change in the acceptance rate.
import { api, ApiError } from '../../lib/api';
import type { Drift, FeatureDrift } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { usePolling } from '../../components/ui/use-polling';
import { formatPct } from './metric-format';
import type { Period } from './periods';

/** Fewer cases than this in either window and the index is not judged (the server's default too). */
const minCases = 50;
const refreshMs = 30_000;

const featureName: Record<FeatureDrift['dimension'], string> = {
  label: 'Labels', route: 'Routes', confidence: 'Confidence', output_length: 'Output length',
};
const levelTone: Record<FeatureDrift['level'], string> = { none: 'good', moderate: 'wait', significant: 'bad' };

function Level({ level }: { level: FeatureDrift['level'] }) {
  return <span className={`status status-${levelTone[level]}`}>{level === 'none' ? 'no shift' : `${level} shift`}</span>;
}

/** A bin as people read it: output lengths are binned by powers of two (the bound), confidences by tenths. */
function binLabel(dimension: FeatureDrift['dimension'], value: string): string {
  if (!/^\d+(\.\d+)?$/.test(value)) return value;
  if (dimension === 'output_length') return `up to ${value} characters`;
  if (dimension === 'confidence') return `${value} to ${(Number(value) + 0.1).toFixed(1)}`;
  return value;
}

function signed(n: number): string {
  return `${n > 0 ? '+' : n < 0 ? '−' : ''}${Math.abs(n).toFixed(1)} %`;
}

export function DriftPanel({ workflowId, period, stage }: { workflowId: string; period: Period; stage: string }) {
  const drift = useResource(async () => {
    try {
      return await api.get<Drift>(`/api/workflows/${encodeURIComponent(workflowId)}/drift`, {
        window: period.drift.window, baseline: period.drift.baseline, stage, min_cases: minCases,
      });
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) return null;
      throw e;
    }
  }, [workflowId, period.value, stage]);
  usePolling(drift.reload, refreshMs);
  const d = drift.data;
  return (
    <section aria-labelledby="drift-heading" className="drift">
      <h2 id="drift-heading">Drift</h2>
      <p className="muted small">
        At {stage}, {period.drift.label}. Population stability index (PSI): below 0.1 no shift, 0.1 to 0.25 moderate, above 0.25 significant.
      </p>
      <ErrorNote error={drift.error} />
      {d === undefined ? (drift.error ? null : <Loading what="drift" />) : d === null ? null : <DriftReport drift={d} />}
    </section>
  );
}

function DriftReport({ drift: d }: { drift: Drift }) {
  const a = d.acceptance;
  return (
    <>
      <p>
        {d.index === null
          ? <span className="muted">Not judged: each window needs at least {minCases} cases of a feature.</span>
          : <>Largest PSI <strong>{d.index.toFixed(3)}</strong> <Level level={d.index > 0.25 ? 'significant' : d.index >= 0.1 ? 'moderate' : 'none'} /></>}
        {' · '}
        Acceptance rate {formatPct(a.baseline_pct)} before, {formatPct(a.recent_pct)} recently
        {a.relative_change_pct !== null ? <> (<strong>{signed(a.relative_change_pct)}</strong> relative)</> : null}
      </p>
      {d.features.length === 0 ? <p className="muted">No classify, route or model outputs to compare in these windows.</p> : (
        <div className="table-wrap">
          <table className="drift-table">
            <caption className="visually-hidden">Drift per feature</caption>
            <thead>
              <tr><th scope="col">Feature</th><th scope="col" className="num">PSI</th><th scope="col">Shift</th><th scope="col" className="num">Cases before / recent</th><th scope="col">Moved most</th></tr>
            </thead>
            <tbody>
              {d.features.map((f) => {
                const few = f.baseline_cases < minCases || f.recent_cases < minCases;
                return (
                  <tr key={f.dimension} data-feature={f.dimension}>
                    <th scope="row">{featureName[f.dimension]}</th>
                    <td className="num">{f.psi.toFixed(3)}</td>
                    <td><Level level={f.level} />{few ? <div className="muted small">too few cases to judge</div> : null}</td>
                    <td className="num">{f.baseline_cases} / {f.recent_cases}</td>
                    <td>
                      {f.movers.length === 0 ? <span className="muted">–</span> : (
                        <ul className="plain-list small">
                          {f.movers.slice(0, 3).map((mv) => (
                            <li key={mv.value}><code className="wrap-anywhere">{binLabel(f.dimension, mv.value)}</code>: {formatPct(mv.baseline_pct)} → {formatPct(mv.recent_pct)}</li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
