// Durations are written as one integer and one unit so a file reads the same to people and machines;
// compound forms (1h30m) are left out on purpose: 90m says the same thing with one rule less.
import { KeelError } from '../errors.js';
import { durationPattern } from './schema.js';

const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in a duration such as `500ms`, `5s`, `2m`, `4h` or `1d`; throws `invalid_input` otherwise. */
export function parseDuration(text: string): number {
  const match = durationPattern.exec(text.trim());
  const amount = match?.[1];
  const unit = match?.[2];
  const factor = unit === undefined ? undefined : unitMs[unit];
  if (amount === undefined || factor === undefined) {
    throw new KeelError('invalid_input', `"${text}" is not a duration`, {
      hint: 'write an integer and a unit: 500ms, 5s, 2m, 4h or 1d',
    });
  }
  const ms = Number(amount) * factor;
  if (!Number.isSafeInteger(ms)) {
    throw new KeelError('invalid_input', `"${text}" is too long a duration`, { hint: 'use a smaller amount' });
  }
  return ms;
}
