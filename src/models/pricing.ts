// What one attempt cost, from the token counts the provider reported and the configured prices.
// Providers publish prices per million tokens, which is how the configuration states them.

import type { LanguageModelConfig } from '../config/index.js';

/** US dollars for the tokens of one attempt; 0 when the model's price is not configured. */
export function attemptCost(price: LanguageModelConfig['price'], tokensIn: number, tokensOut: number): number {
  return (tokensIn * price.inputPerMillion) / 1e6 + (tokensOut * price.outputPerMillion) / 1e6;
}

