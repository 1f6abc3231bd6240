/**
 * The model as the dry run's param groups see it, without a tensor: a model
 * type loopwright trains describes itself (its `ModelDescription`, whose
 * parameter list the built model's `init` draws), without loading its tensor
 * code; a model it only describes (MAE, BEiT,
 * the classification benchmarks' `ImageClassifier`, …) is described from
 * its config by `modelDescribers`. Either way nothing is allocated.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { ModelInfo } from '../../models/ModelInfo.js'
import { describeParts } from '../../models/Description.js'
import { describe } from '../../models/ModelDescription.js'
import { allModelDescriptions } from '../../selfsup/algorithms/algorithmDescriptions.js'
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
 * // Right({ info: { params: [backbone.cls_token, …], backbone: { kind: 'vit', numLayers: 12 } },
 * //   source: 'described' })
 * ```
 */
export const describeModel = (cfg: unknown): E.Either<ReadonlyArray<Issue>, DescribedModel> => {
  const trained = describe(cfg, allModelDescriptions)
  if (trained._tag === 'Right') return E.right({ info: trained.right, source: 'trainable' })
  const type = isDict(cfg) && typeof cfg['type'] === 'string' ? cfg['type'] : undefined
  if (type === undefined || Registry.resolve(modelDescribers, type)._tag === 'Left') return trained
  return E.map((d: { readonly params: ModelInfo['params']; readonly backbone?: ModelInfo['backbone'] }) => ({
    info: { params: d.params, ...(d.backbone === undefined ? {} : { backbone: d.backbone }) },
    source: 'described' as const,
  }))(describeParts(modelDescribers, cfg, '', 'model'))
}

/** Scalars of the model's parameters by top-level part (`backbone`, `neck`, `head`, `teacher`, …), in model order. */
export interface ModelSize {
  readonly source: DescribedModel['source']
  readonly parts: ReadonlyArray<{ readonly part: string; readonly params: number; readonly trained: number }>
  readonly params: number
  readonly trained: number
}

/**
 * The model's size by part: all parameters, and those `requires_grad` leaves to the optimizer.
 *
 * @example
 * ```ts
 * modelSize(described).parts[0] // { part: 'backbone', params: 23508032, trained: 23508032 }
 * ```
 */
export const modelSize = (model: DescribedModel): ModelSize => {
  const parts = new Map<string, { params: number; trained: number }>()
  for (const p of model.info.params) {
    if (p.sameTensorAs !== undefined) continue
    const part = p.name.includes('.') ? p.name.slice(0, p.name.indexOf('.')) : p.name
    const n = p.shape.reduce((a, b) => a * b, 1)
    const entry = parts.get(part) ?? { params: 0, trained: 0 }
    parts.set(part, { params: entry.params + n, trained: entry.trained + (p.requiresGrad ? n : 0) })
  }
  const list = [...parts].map(([part, n]) => ({ part, ...n }))
  return {
    source: model.source,
    parts: list,
    params: list.reduce((a, p) => a + p.params, 0),
    trained: list.reduce((a, p) => a + p.trained, 0),
  }
}

const millions = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n)

/**
 * The plan's line about the model: where its description came from and its size by part.
 *
 * @example
 * ```ts
 * modelSizeLine(modelSize(described))
 * // 'model (trainable here): backbone 23.5M, neck 6.3M, head 1.1M; 30.9M parameters, 30.9M trained'
 * ```
 */
export const modelSizeLine = (size: ModelSize): string => {
  const parts = size.parts
    .map((p) => `${p.part} ${millions(p.params)}${p.trained === p.params ? '' : ` (${millions(p.trained)} trained)`}`)
    .join(', ')
  const source = size.source === 'trainable' ? 'trainable here' : 'described from the config; not trainable here'
  return `model (${source}): ${parts}; ${millions(size.params)} parameters, ${millions(size.trained)} trained`
}
