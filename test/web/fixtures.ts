// Workflow files the dashboard's browser tests deploy.
import type { ConnectorDefinition } from '../../src/connectors/index.js';

/** Managed, medium risk: a transform, a route, an approval boundary with an escalation rule and an http action. */
export const refundCheck = `id: refund-check
title: Refund request check
owner: payments-lead@example.com
team: payments
description: Decides small refunds at once and sends large ones to the payments API for a check.
risk: medium
triggers:
  - manual: {}
  - webhook: {}
input:
  type: object
  required: [amount]
  properties:
    amount: { type: number }
steps:
  - id: normalise
    kind: transform
    expression: '{ "amount": input.amount, "large": input.amount > 100 }'
  - id: size
    kind: route
    routes:
      - when: steps.normalise.large
        to: request_check
    default: small
  - id: small
    kind: transform
    expression: '{ "decision": "refund" }'
    next: end
  - id: request_check
    kind: action
    connector: payments-api
    action: send
    with: { method: '"POST"', path: '"/checks"', body: 'steps.normalise' }
    delivery: idempotent
approval:
  rules:
    - when: output.amount > 1000
      then: escalate
      role: approver
      reason: risk
    - when: "true"
      then: auto
access:
  - { connector: payments-api, scopes: ["http:write"] }
metric: { name: refunds decided without a person, unit: percent, baseline: 10, target: 80 }
exclusions: [chargebacks]
runbook:
  rollback: Point production back to the previous version.
  stop_conditions: [a refund is paid twice]
  contacts: [payments-lead@example.com]
  next_review: 2024-01-15
`;

/** The payments API refund-check posts to (connectors/payments-api.yaml); nothing listens there. */
export const paymentsApiConnector = `id: payments-api
kind: http
title: Payments API
owner: payments-lead@example.com
config:
  base_url: https://payments.example.com
  write_delivery: idempotent
`;

/** The helpdesk API the review queue's ticket-triage posts to (connectors/tickets.yaml). */
export const ticketsApiConnector = `id: tickets
kind: http
title: Helpdesk tickets API
owner: support-lead@example.com
config:
  base_url: https://tickets.example.com/api
  write_delivery: idempotent
`;

/** Connectors the access pages' tests configure with saveConnector. */
export const connectorFixtures = {
  /** A REST API with a bearer token (secret `crm-token`) and one allow-listed private host. */
  crm: (owner: string): ConnectorDefinition => ({
    id: 'crm', kind: 'http', title: 'Customer records', owner, credentialOwner: 'it@example.com', rotationDays: 90,
    allowHosts: ['crm.internal.example:8443'],
    config: { base_url: 'https://crm.example.com/api', auth: { type: 'bearer', token_secret: 'crm-token' } },
  }),
  /** A folder to read and write in; needs no secret. */
  kits: (owner: string, root: string): ConnectorDefinition => ({ id: 'kits', kind: 'files', title: 'Welcome kits', owner, config: { root } }),
  /** An API keyed by `billing-key`, owned by someone else. */
  billing: (owner: string): ConnectorDefinition => ({
    id: 'billing', kind: 'http', title: 'Billing', owner, credentialOwner: 'finance-ops@example.com', rotationDays: 30,
    config: { base_url: 'https://billing.example.com', auth: { type: 'api_key', key_secret: 'billing-key' } },
  }),
};
