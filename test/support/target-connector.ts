// A loopback Target (target.ts) behind a real `http` connector: the governed path every action step
// takes, set up the way an operations team would (a connector, a workflow listing `http:write`
// under access, the owner approving the grant: harness.deployGranted), not a shortcut around it.
import type { Queryable } from '../../src/db/index.js';
import { saveConnector } from '../../src/connectors/index.js';

export type TargetDelivery = 'idempotent' | 'check-then-act' | 'unsafe';

export interface TargetConnector {
  /** The connector id (one per delivery class: the class belongs to the connector, not the step). */
  id: string;
  delivery: TargetDelivery;
}

/**
 * Saves an http connector in front of `url` with the given write delivery (check-then-act asks the
 * target's `/check?ref={idempotency_key}`), owned by ops@example.com, reaching 127.0.0.1 only.
 */
export async function saveTargetConnector(db: Queryable, url: string, delivery: TargetDelivery = 'idempotent', id = `target-${delivery}`): Promise<TargetConnector> {
  const config: Record<string, unknown> = { base_url: url, write_delivery: delivery };
  if (delivery === 'check-then-act') config.check_path = 'check?ref={idempotency_key}';
  await saveConnector(db, { id, kind: 'http', title: `Loopback target (${delivery})`, owner: 'ops@example.com', config, allowHosts: ['127.0.0.1'] }, 'api', 'ops@example.com');
  return { id, delivery };
}

/** The `access` entry a workflow file lists for the target connector's write scope. */
export function targetAccess(connector: TargetConnector | string): string {
  const id = typeof connector === 'string' ? connector : connector.id;
  return `access:\n  - { connector: ${id}, scopes: ["http:write"] }\n`;
}

/**
 * An action step posting `body` (JSONata) to `path` through the target connector, in the workflow
 * file's YAML at list-item indentation.
 */
export function targetStep(stepId: string, connector: TargetConnector, path: string, body: string, extra = ''): string {
  return `  - id: ${stepId}
    kind: action
    connector: ${connector.id}
    action: send
    with: { method: '"POST"', path: '"${path}"', body: '${body.replaceAll("'", "''")}' }
    delivery: ${connector.delivery}${extra}
`;
}
