// The model calls of one step attempt: each try (a fallback model, a repair of a malformed answer)
// with what it cost and why it failed, the things an operator asks first about a model step.
import type { ModelCall } from '../../lib/api-types';
import { formatCost, formatMs } from './run-format';

export function ModelCalls({ calls, label }: { calls: ModelCall[]; label: string }) {
  const tokensIn = calls.reduce((n, c) => n + c.tokens_in, 0);
  const tokensOut = calls.reduce((n, c) => n + c.tokens_out, 0);
  const cost = calls.reduce((n, c) => n + c.cost_usd, 0);
  return (
    <div className="table-wrap model-calls">
      <table aria-label={label}>
        <caption>
          {label}: {calls.length} call{calls.length === 1 ? '' : 's'}, {tokensIn} tokens in, {tokensOut} out, {formatCost(cost)}
        </caption>
        <thead>
          <tr>
            <th scope="col">Try</th>
            <th scope="col">Provider</th>
            <th scope="col">Model</th>
            <th scope="col">Purpose</th>
            <th scope="col">Tokens in / out</th>
            <th scope="col">Cost</th>
            <th scope="col">Latency</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((c) => (
            <tr key={c.id}>
              <td>{c.attempt}</td>
              <td>{c.provider}</td>
              <td>
                <strong>{c.model}</strong> <code>{c.model_id}</code>
                {c.response_model && c.response_model !== c.model_id ? <div className="muted">answered by <code>{c.response_model}</code></div> : null}
              </td>
              <td>{c.purpose}</td>
              <td>{c.tokens_in} / {c.tokens_out}</td>
              <td>{formatCost(c.cost_usd)}</td>
              <td>{formatMs(c.latency_ms)}</td>
              <td>
                {c.error_class ? (
                  <span className="runs-bad">
                    <code>{c.error_class}</code>{c.http_status !== null ? ` (HTTP ${c.http_status})` : ''}
                    {c.error_message ? <div className="runs-message">{c.error_message}</div> : null}
                  </span>
                ) : <span className="runs-good">answered{c.http_status !== null ? ` (HTTP ${c.http_status})` : ''}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
