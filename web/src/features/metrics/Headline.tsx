// The window's figures at a glance, each with what it is taken over (so "100 %" of two runs reads
// differently from 100 % of two thousand), and the business metric against its baseline and target.
import type { BusinessMetric, Metrics } from '../../lib/api-types';
import { formatDuration } from '../../components/ui/Time';
import { formatCount, formatInUnit, formatLatency, formatPct, formatTokens, formatUsd } from './metric-format';

function Figure({ label, value, detail, title }: { label: string; value: string; detail?: string; title?: string }) {
  return (
    <div className="figure" title={title}>
      <dt>{label}</dt>
      <dd><strong className="figure-value">{value}</strong>{detail ? <span className="figure-detail">{detail}</span> : null}</dd>
    </div>
  );
}

export function Headline({ metrics: m }: { metrics: Metrics }) {
  const t = m.totals;
  const others = t.rejected + t.canceled + t.outcome_unknown;
  return (
    <dl className="figures" aria-label="Headline figures">
      <Figure label="Runs" value={formatCount(t.runs)} detail={`${t.succeeded} succeeded, ${t.failed} failed${others > 0 ? `, ${others} other` : ''}`} title="Runs that ended in the period" />
      <Figure label="Automation coverage" value={formatPct(t.coverage_pct)} detail={`${t.automated} of ${t.runs} runs without a person`} />
      <Figure label="Human override" value={formatPct(t.override_pct)} detail={`${t.overridden} of ${t.reviewed} decided reviews edited or rejected`} />
      <Figure label="Acceptance" value={formatPct(t.acceptance_pct)} detail={`${t.approved} of ${t.reviewed} approved as proposed`} />
      <Figure label="Latency p95" value={formatLatency(m.latency.p95_ms)} detail={`p50 ${formatLatency(m.latency.p50_ms)}, trigger to end`}
        title="The upper bound of the latency bucket the percentile falls in" />
      <Figure label="Cost" value={formatUsd(t.cost_usd)} detail={`${formatUsd(t.cost_per_run_usd)} per run, ${formatTokens(t.tokens_in + t.tokens_out)} tokens`} />
      <Figure label="Prompt success" value={formatPct(t.prompt_success_pct)} detail={`${t.first_try_valid} of ${t.model_steps} model steps valid first try`} />
      <Figure label="Review queue" value={formatCount(m.queue.open)}
        detail={m.queue.oldest_age_seconds === null ? 'nothing waiting' : `oldest waiting ${formatDuration(m.queue.oldest_age_seconds * 1000)}`} title="Open review tasks now, whatever the period" />
    </dl>
  );
}

function Verdict({ value, yes, no }: { value: boolean | null; yes: string; no: string }) {
  if (value === null) return null;
  return <span className={`status status-${value ? 'good' : 'bad'}`}>{value ? yes : no}</span>;
}

export function BusinessMetricLine({ metric: b }: { metric: BusinessMetric }) {
  const how = b.measure ? `measured as ${b.measure.replace(/_/g, ' ')}` : b.per_run ? 'reported per run' : '';
  return (
    <div className="business-metric card" role="group" aria-label="Business metric">
      <span className="muted small">Business metric</span>
      <div className="row">
        <strong>{b.name}</strong>
        <span className="figure-value">{b.value === null ? <span className="muted">{b.measure || b.per_run ? 'nothing measured yet' : 'not measured by Keel'}</span> : formatInUnit(b.value, b.unit)}</span>
        <span className="muted">baseline {formatInUnit(b.baseline, b.unit)} → target {formatInUnit(b.target, b.unit)}</span>
        <Verdict value={b.beats_baseline} yes="beats baseline" no="does not beat baseline" />
        <Verdict value={b.meets_target} yes="meets target" no="short of target" />
      </div>
      {how ? <span className="muted small">{how}{b.better ? `; ${b.better} is better` : ''}</span> : null}
    </div>
  );
}
