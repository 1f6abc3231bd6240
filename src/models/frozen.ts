/**
 * Freezing part of a model, as MMPretrain backbones do with `frozen_stages`
 * and `norm_eval` (the linear probe of MMSelfSup's benchmarks: the whole
 * backbone frozen, BatchNorm in eval mode, only the linear head trains).
 *
 * - A frozen parameter is declared `requires_grad=False`, so the optimizer
 *   constructors put it in no param group and it is never updated.
 * - Its BatchNorm running statistics are kept as they were.
 * - With `normEval` the forward pass runs in eval mode (running statistics,
 *   no dropout) even while training: loopwright's models have one mode flag,
 *   so this reaches the head too, which is exact for the linear heads probes use.
 *   Without it, frozen BatchNorm layers still normalise with batch statistics
 *   (MMPretrain puts frozen stages in eval mode; this is the one difference).
 *
 * @example
 * ```ts
 * const probe = freeze(resnet, (name) => name.startsWith('backbone.'), true)
 * probe.info.params.filter((p) => p.requiresGrad).map((p) => p.name)  // ['head.fc.weight', 'head.fc.bias']
 * ```
 * @module
 */
import type { Model } from './Model.js'

export const freeze = (model: Model, isFrozen: (name: string) => boolean, normEval: boolean): Model => ({
  ...model,
  info: { ...model.info, params: model.info.params.map((p) => (isFrozen(p.name) ? { ...p, requiresGrad: false } : p)) },
  forward: (params, buffers, inputs, ctx) => {
    const result = model.forward(params, buffers, inputs, normEval ? { ...ctx, training: false } : ctx)
    if (result.buffers === buffers) return result
    // Frozen layers keep their running statistics; new ones computed for them are dropped.
    const kept = Object.fromEntries(
      Object.entries(result.buffers).map(([name, t]) => {
        if (!isFrozen(name) || buffers[name] === undefined || buffers[name] === t) return [name, t]
        t.dispose()
        return [name, buffers[name]!]
      }),
    )
    return { ...result, buffers: kept }
  },
})
