/**
 * Layer ids of MMSelfSup's layer-decay constructor (spec §11.1), from full
 * parameter names (`backbone.…`), and `num_layers` per `model_type`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { BackboneInfo } from '../../models/ModelInfo.js'

export type SelfsupModelType = 'vit' | 'swin' | 'mixmim'
export const selfsupModelTypes: ReadonlyArray<SelfsupModelType> = ['vit', 'swin', 'mixmim']

/** Python `int(s)` for the module indices found in names (plain decimal digits). */
const index = (part: string | undefined, name: string, what: string): E.Either<string, number> =>
  part !== undefined && /^[0-9]+$/.test(part)
    ? E.right(Number(part))
    : E.left(
        `cannot read the ${what} of '${name}': '${part ?? ''}' is not an index (Python ` +
          `raises ${part === undefined ? 'IndexError' : 'ValueError'})`,
      )

const sum = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0)

/**
 * `num_layers`: vit `len(backbone.layers) + 2`, swin `sum(depths) + 2`,
 * mixmim `sum(depths) + 1`.
 *
 * @example
 * ```ts
 * selfsupNumLayers('swin', { depths: [2, 2, 6, 2] }) // Right(14)
 * ```
 */
export const selfsupNumLayers = (
  modelType: SelfsupModelType,
  backbone: BackboneInfo | undefined,
): E.Either<{ readonly path: string; readonly message: string }, number> => {
  if (modelType === 'vit') {
    const n = backbone?.numLayers
    return n !== undefined && Number.isInteger(n) && n >= 0
      ? E.right(n + 2)
      : E.left({
          path: 'model.backbone.numLayers',
          message: "model_type 'vit' needs len(backbone.layers) (the backbone's numLayers)",
        })
  }
  const depths = backbone?.depths
  if (depths === undefined || !depths.every((d) => Number.isInteger(d) && d >= 0))
    return E.left({
      path: 'model.backbone.depths',
      message: `model_type '${modelType}' needs backbone.depths (a list of block counts per stage)`,
    })
  return E.right(sum(depths) + (modelType === 'swin' ? 2 : 1))
}

/**
 * The layer id of a parameter (full name) for `model_type`.
 *
 * @example
 * ```ts
 * selfsupLayerId('vit', 'backbone.layers.3.ffn.fc1.weight', 14, undefined) // Right(4)
 * selfsupLayerId('swin', 'backbone.stages.1.downsample.reduction.weight', 14, [2, 2, 6, 2]) // Right(4)
 * ```
 */
export const selfsupLayerId = (
  modelType: SelfsupModelType,
  name: string,
  numLayers: number,
  depths: ReadonlyArray<number> | undefined,
): E.Either<string, number> => {
  const split = name.split('.')
  const ds = depths ?? []
  switch (modelType) {
    case 'vit':
      if (
        name === 'backbone.cls_token' ||
        name === 'backbone.mask_token' ||
        name === 'backbone.pos_embed' ||
        name.startsWith('backbone.patch_embed')
      )
        return E.right(0)
      if (name.startsWith('backbone.layers')) return E.map((i: number) => i + 1)(index(split[2], name, 'layer index'))
      return E.right(numLayers - 1)
    case 'swin': {
      if (name.includes('mask_token') || name.includes('patch_embed')) return E.right(0)
      if (!name.startsWith('backbone.stages')) return E.right(numLayers - 1)
      const stage = index(split[2], name, 'stage index')
      if (stage._tag === 'Left') return stage
      const block = split[4]
      // The downsample layer (reduction, norm) closes its stage.
      if (block === 'reduction' || block === 'norm') return E.right(sum(ds.slice(0, stage.right + 1)))
      return E.map((b: number) => sum(ds.slice(0, stage.right)) + b + 1)(index(block, name, 'block index'))
    }
    case 'mixmim': {
      if (name.includes('patch_embed') || name.includes('absolute_pos_embed') || name.includes('pos_embed'))
        return E.right(-1)
      if (!name.startsWith('backbone.layers')) return E.right(numLayers - 2)
      const layer = index(split[2], name, 'layer index')
      if (layer._tag === 'Left') return layer
      const block = split[4]
      if (block === 'downsample' || block === 'reduction' || block === 'norm')
        return E.right(sum(ds.slice(0, layer.right + 1)) - 1)
      return E.map((b: number) => sum(ds.slice(0, layer.right)) + b)(index(block, name, 'block index'))
    }
  }
}
