/**
 * What a backbone's parameter names say about it: MMSelfSup's
 * `len(backbone.layers)`, `backbone.depths` and MMPretrain's
 * `get_layer_depth` family follow from `backbone.layers.<i>.…` (ViT-like)
 * and `backbone.stages.<s>.blocks.<b>.…` (Swin-like) alone. The layer-decay
 * constructors fill in what a model does not declare from here, so a model
 * given only by its named parameters (a `named_parameters()` dump) works.
 * @module
 */
import type { BackboneInfo, ModelInfo } from '../../models/ModelInfo.js'

const layerPattern = /^backbone\.layers\.(\d+)\./
const blockPattern = /^backbone\.stages\.(\d+)\.blocks\.(\d+)\./
const stagePattern = /^backbone\.stages\.(\d+)\./

/**
 * The backbone facts the names imply: `kind` and `numLayers` (highest layer
 * index + 1) for ViT-like names, `kind` and `depths` (per stage, highest
 * block index + 1; 0 for a stage without blocks) for Swin-like names;
 * nothing for names of neither family.
 *
 * @example
 * ```ts
 * backboneFromNames(['backbone.cls_token', 'backbone.layers.0.ln1.weight', 'backbone.layers.11.ln1.weight'])
 * // { kind: 'vit', numLayers: 12 }
 * backboneFromNames(['backbone.stages.0.blocks.1.norm1.weight', 'backbone.stages.1.blocks.0.norm1.weight'])
 * // { kind: 'swin', depths: [2, 1] }
 * ```
 */
export const backboneFromNames = (names: ReadonlyArray<string>): BackboneInfo => {
  let layers = -1
  const depths: number[] = []
  let stages = 0
  for (const name of names) {
    const layer = layerPattern.exec(name)
    if (layer !== null) layers = Math.max(layers, Number(layer[1]))
    const block = blockPattern.exec(name)
    if (block !== null) {
      const s = Number(block[1])
      depths[s] = Math.max(depths[s] ?? 0, Number(block[2]) + 1)
    }
    const stage = stagePattern.exec(name)
    if (stage !== null) stages = Math.max(stages, Number(stage[1]) + 1)
  }
  if (depths.length > 0)
    return { kind: 'swin', depths: Array.from({ length: Math.max(stages, depths.length) }, (_, s) => depths[s] ?? 0) }
  if (layers >= 0) return { kind: 'vit', numLayers: layers + 1 }
  return {}
}

/**
 * The model with every backbone fact it does not declare filled in from its
 * parameter names; declared facts are kept as they are.
 *
 * @example
 * ```ts
 * withBackboneFromNames({ params }).backbone // { kind: 'vit', numLayers: 12 } for a 12-layer ViT's names
 * ```
 */
export const withBackboneFromNames = (model: ModelInfo): ModelInfo => {
  const implied = backboneFromNames(model.params.map((p) => p.name))
  const declared = model.backbone ?? {}
  const backbone: BackboneInfo = {
    ...((declared.kind ?? implied.kind) === undefined ? {} : { kind: (declared.kind ?? implied.kind)! }),
    ...((declared.numLayers ?? implied.numLayers) === undefined
      ? {}
      : { numLayers: (declared.numLayers ?? implied.numLayers)! }),
    ...((declared.depths ?? implied.depths) === undefined ? {} : { depths: (declared.depths ?? implied.depths)! }),
  }
  return Object.keys(backbone).length === 0 ? model : { ...model, backbone }
}
