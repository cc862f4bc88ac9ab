// Workflow files the dashboard's browser tests deploy.

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
    action: http
    with: { url: "https://payments.example.com/checks", method: POST }
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
  - { connector: payments-api, scopes: ["http:post"] }
metric: { name: refunds decided without a person, unit: percent, baseline: 10, target: 80 }
exclusions: [chargebacks]
runbook:
  rollback: Point production back to the previous version.
  stop_conditions: [a refund is paid twice]
  contacts: [payments-lead@example.com]
  next_review: 2024-01-15
`;
