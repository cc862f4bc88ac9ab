import { describe, expect, it } from 'vitest';
import { scrub } from './classify-error.js';

describe('scrub', () => {
  it('removes configured keys and key-shaped echoes, but not ordinary words', () => {
    const text = 'Incorrect API key provided: sk-proj-********************abc1. Also secret-value-123 and api-version is unsupported.';
    expect(scrub(text, ['secret-value-123'])).toBe('Incorrect API key provided: [redacted]. Also [redacted] and api-version is unsupported.');
  });
});
