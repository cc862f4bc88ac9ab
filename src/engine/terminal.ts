import type { ErrorCode } from '../errors.js';

/**
 * The one place a failed step's error decides the run's end state. Exhaustive: a new error code
 * does not compile until someone decides what it does to a run. (`connector_paused` never ends a
 * run: the executor holds an action step it refuses; it is listed so the switch stays exhaustive.)
 */
export function terminalStatusFor(code: ErrorCode): 'failed' | 'outcome_unknown' {
  switch (code) {
    case 'outcome_unknown':
      return 'outcome_unknown';
    case 'invalid_input':
    case 'invalid_workflow':
    case 'not_found':
    case 'conflict':
    case 'payload_too_large':
    case 'malformed_json':
    case 'unsupported_media_type':
    case 'unauthenticated':
    case 'permission_denied':
    case 'invalid_credentials':
    case 'account_locked':
    case 'rate_limited':
    case 'csrf_rejected':
    case 'signature_invalid':
    case 'stage_paused':
    case 'connector_paused':
    case 'not_deployed':
    case 'gate_not_met':
    case 'fenced':
    case 'step_timeout':
    case 'step_failed':
    case 'action_failed':
    case 'egress_refused':
    case 'provider_rate_limited':
    case 'review_expired':
    case 'budget_exceeded':
    case 'misconfigured':
    case 'internal':
      return 'failed';
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}
