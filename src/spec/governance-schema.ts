// The parts of a workflow file that say who answers for it and what a promotion needs: the owner
// map of the handoff standard, the failure modes found while testing, the gates' overrides of the
// seeds' defaults, and who approves a change to the production version. Keel's promotion slice
// reads them; the defaults live there (src/promotion/gate-defaults.ts), so a file that says
// nothing still gets the seeds' table.
import { z } from 'zod';
import { nonEmpty } from './primitives.js';

/** The roles a gate can ask to sign: global roles, or `owner` (the workflow's owners). */
export const signerRoles = ['admin', 'builder', 'approver', 'reviewer', 'owner'] as const;
export type SignerRole = (typeof signerRoles)[number];

export const ownerMapSchema = z
  .object({
    quality: nonEmpty().optional().describe('Who answers for output quality and the evaluation set'),
    access: nonEmpty().optional().describe('Who answers for the accounts, tokens and grants the workflow uses'),
    approvals: nonEmpty().optional().describe('Who owns the review queue and the approval boundary'),
    incidents: nonEmpty().optional().describe('Who is called when a monitor fires or the workflow is paused'),
    scope: nonEmpty().optional().describe('Who decides what the workflow may take on next'),
  })
  .strict()
  .describe('The owner map of the handoff standard: a named person for quality, access, approvals, incidents and future scope');

export const failureModeSchema = z
  .object({
    name: nonEmpty(),
    description: nonEmpty().describe('What goes wrong, and on which inputs'),
    mitigation: z.string().optional().describe('What catches or limits it (a boundary rule, a monitor, a reviewer)'),
    prompt: z.string().optional().describe('The library prompt it belongs to, when it is a known failure class of one'),
  })
  .strict();

const signers = () =>
  z.array(z.enum(signerRoles)).describe('Roles that must each sign (a different person each, never the version\'s author)');

const gateBase = {
  signers: signers().optional(),
};

export const gatesSchema = z
  .object({
    testing: z
      .object({ ...gateBase, min_cases: z.number().int().min(0).optional().describe('Cases the dataset needs before testing starts (default 20)') })
      .strict()
      .optional(),
    sandbox: z
      .object({
        ...gateBase,
        require_failure_modes: z.boolean().optional().describe('failure_modes must list at least one (default true)'),
      })
      .strict()
      .optional(),
    production: z
      .object({
        ...gateBase,
        min_reviewed: z.number().int().min(0).optional().describe('Sandbox outputs of this version people decided before go-live (default 30)'),
        require_drill: z.boolean().optional().describe('A rollback drill on this version (default true)'),
        require_monitors: z.boolean().optional().describe('At least one monitor, one of them a stop condition (default true)'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .describe('Overrides of the promotion gates (defaults from the seeds\' table); a stage left out keeps its defaults');

export type OwnerMapSpec = z.output<typeof ownerMapSchema>;
export type FailureModeSpec = z.output<typeof failureModeSchema>;
export type GatesSpec = z.output<typeof gatesSchema>;
