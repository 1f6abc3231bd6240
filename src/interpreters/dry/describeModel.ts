/**
 * The model as the dry run's param groups see it, without a tensor: a model
 * type loopwright trains describes itself (`Model.info`, from the same
 * parameter list its `init` draws); a model it only describes (MAE, BEiT,
 * the classification benchmarks' `ImageClassifier`, …) is described from
 * its config by `modelDescribers`. Either way nothing is allocated.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { ModelInfo } from '../../models/ModelInfo.js'
import { describeParts } from '../../models/Description.js'
import * as Models from '../../models/registry.js'
import { allModelTypes } from '../../selfsup/algorithms/registry.js'
import { modelDescribers } from '../../selfsup/algorithms/describers.js'
import type { Issue } from '../../schema/codec.js'
import { isDict } from '../../schema/codec.js'
import * as Registry from '../../schema/registry.js'

/** How the model was described: by the model loopwright trains, or from its config alone. */
export interface DescribedModel {
  readonly info: ModelInfo
  readonly source: 'trainable' | 'described'
}

/**
 * The parameters of the model a `model` config names. A trainable type that refuses the config (a backbone it does
 * not train) falls back to the description when one exists; otherwise its issues are the answer.
 *
 * @example
 * ```ts
 * describeModel({ type: 'MAE', backbone: { type: 'MAEViT', arch: 'b' }, neck: …, head: … })
 * // Right({ info: { params: [backbone.cls_token, …], backbone: { kind: 'vit', numLayers: 12 } }, source: 'described' })
 * ```
 */
export const describeModel = (cfg: unknown): E.Either<ReadonlyArray<Issue>, DescribedModel> => {
  const trained = Models.build(cfg, allModelTypes)
  if (trained._tag === 'Right') return E.right({ info: trained.right.info, source: 'trainable' })
  const type = isDict(cfg) && typeof cfg['type'] === 'string' ? cfg['type'] : undefined
  if (type === undefined || Registry.resolve(modelDescribers, type)._tag === 'Left') return trained
  return E.map((d: { readonly params: ModelInfo['params']; readonly backbone?: ModelInfo['backbone'] }) => ({
    info: { params: d.params, ...(d.backbone === undefined ? {} : { backbone: d.backbone }) },
    source: 'described' as const,
  }))(describeParts(modelDescribers, cfg, '', 'model'))
}
