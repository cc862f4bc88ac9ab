// The small field types every part of the workflow file format shares.
import { z } from 'zod';

/** Matches the durations the format accepts: one integer and one unit. */
export const durationPattern = /^(\d+)(ms|s|m|h|d)$/;

export const duration = () =>
  z
    .string()
    .regex(durationPattern, { error: 'must be a duration such as 500ms, 5s, 2m, 4h or 1d' })
    .describe('A duration: an integer followed by ms, s, m, h or d');

export const nonEmpty = () => z.string().min(1, { error: 'must not be empty' });
