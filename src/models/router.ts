// The model router: the one object the engine calls models through. It checks a call's whole chain
// before the first request (so a typo in a fallback fails now, not after the primary's outage), then
// hands the chain to the failure policy in chain.ts. Built models are cached per router.

import { KeelError } from '../errors.js';
import { abortableSleep } from './backoff.js';
import { runChain } from './chain.js';
import { createEmbedder } from './embed.js';
import { isLanguageModel, resolveModel, type ResolvedModel } from './providers/registry.js';
import { createOutputChecker } from './structured.js';
import type { ModelCallRequest, ModelCallResult, ModelRouter, ModelRouterDeps } from './types.js';

/** Creates the router over the configured models; nothing is sent until the first call. */
export function createModelRouter(deps: ModelRouterDeps): ModelRouter {
  const sleep = deps.sleep ?? abortableSleep;
  const now = deps.now ?? Date.now;
  // Every configured key is scrubbed from every message, whichever model the message is about.
  const secrets = Object.values(deps.providerKeys).filter((v) => v.length > 0);
  const built = new Map<string, ResolvedModel>();

  function resolved(name: string): ResolvedModel {
    let model = built.get(name);
    if (model === undefined) {
      model = resolveModel(name, deps.models, deps.providerKeys, deps.egress);
      built.set(name, model);
    }
    return model;
  }

  /** [requested, ...its fallbacks], each once; the fallbacks' own fallbacks are not followed. */
  function chainFor(name: string): ResolvedModel[] {
    const first = resolved(name);
    const names = [...new Set([name, ...first.config.fallbacks])];
    return names.map((n) => {
      try {
        return resolved(n);
      } catch (error) {
        if (error instanceof KeelError && n !== name) {
          throw new KeelError(error.code, `Fallback of model "${name}": ${error.message}`, {
            ...(error.hint ? { hint: error.hint } : {}),
            ...(error.details ? { details: error.details } : {}),
            retriable: false,
          });
        }
        throw error;
      }
    });
  }

  async function call(req: ModelCallRequest): Promise<ModelCallResult> {
    req.signal.throwIfAborted();
    const chain = chainFor(req.model);
    const checker = req.outputSchema ? createOutputChecker(req.outputSchema) : undefined;
    return runChain({ chain, req, checker, sleep, now, secrets });
  }

  const embed = createEmbedder({ embedding: deps.embedding, providerKeys: deps.providerKeys, egress: deps.egress, sleep, now, secrets });

  function describe(name: string): { provider: string; modelId: string } | undefined {
    const config = Object.hasOwn(deps.models, name) ? deps.models[name] : undefined;
    if (config === undefined || !isLanguageModel(config)) return undefined;
    return { provider: config.provider, modelId: config.model };
  }

  return { call, embed, describe };
}
