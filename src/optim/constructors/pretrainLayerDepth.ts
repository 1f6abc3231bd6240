/**
 * `get_layer_depth(param_name)` of MMPretrain's ViT and Swin backbones, as
 * classifiers and self-supervised models call it: delegated to the backbone
 * with the prefix `'backbone.'` (spec §11.2). Returns `(layer_id, max_id)`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { BackboneInfo, ParamInfo } from '../../models/ModelInfo.js'

const prefix = 'backbone.'

const index = (part: string | undefined, name: string, what: string): E.Either<string, number> =>
  part !== undefined && /^[0-9]+$/.test(part)
    ? E.right(Number(part))
    : E.left(`cannot read the ${what} of '${name}': '${part ?? ''}' is not an index`)

const sum = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0)

/**
 * ViT: `max = num_layers + 2`; stem (cls_token, pos_embed, patch_embed*) 0, `layers.i` i+1, the rest max−1.
 *
 * @example
 * ```ts
 * vitLayerDepth('backbone.layers.11.ln1.weight', 12) // Right([12, 14])
 * ```
 */
export const vitLayerDepth = (name: string, numLayers: number): E.Either<string, readonly [number, number]> => {
  const max = numLayers + 2
  if (!name.startsWith(prefix)) return E.right([max - 1, max])
  const rest = name.slice(prefix.length)
  if (rest === 'cls_token' || rest === 'pos_embed' || rest.startsWith('patch_embed')) return E.right([0, max])
  if (rest.startsWith('layers'))
    return E.map((i: number) => [i + 1, max] as const)(index(rest.split('.')[1], name, 'layer index'))
  return E.right([max - 1, max])
}

/**
 * Swin: `max = sum(depths) + 2`; patch_embed 0, `stages.s.downsample.{reduction,norm}` sum(depths[:s+1]),
 * `stages.s.blocks.b` sum(depths[:s])+b+1, the rest max−1.
 *
 * @example
 * ```ts
 * swinLayerDepth('backbone.stages.2.blocks.5.attn.w_msa.qkv.weight', [2, 2, 6, 2]) // Right([10, 14])
 * ```
 */
export const swinLayerDepth = (
  name: string,
  depths: ReadonlyArray<number>,
): E.Either<string, readonly [number, number]> => {
  const max = sum(depths) + 2
  if (!name.startsWith(prefix)) return E.right([max - 1, max])
  const rest = name.slice(prefix.length)
  if (rest.startsWith('patch_embed')) return E.right([0, max])
  if (!rest.startsWith('stages')) return E.right([max - 1, max])
  const split = rest.split('.')
  const stage = index(split[1], name, 'stage index')
  if (stage._tag === 'Left') return stage
  const block = split[3]
  if (block === 'reduction' || block === 'norm') return E.right([sum(depths.slice(0, stage.right + 1)), max])
  return E.map((b: number) => [sum(depths.slice(0, stage.right)) + b + 1, max] as const)(
    index(block, name, 'block index'),
  )
}

/**
 * The model's `get_layer_depth` for one parameter: its own `layerDepth` if
 * given, else the backbone's vit/swin rule. `Left` says what is missing.
 *
 * @example
 * ```ts
 * const p = { name: 'backbone.layers.0.ln1.weight', shape: [768], requiresGrad: true, module: { type: 'LayerNorm' } }
 * pretrainLayerDepth(p, { kind: 'vit', numLayers: 12 }) // Right([1, 14])
 * ```
 */
export const pretrainLayerDepth = (
  p: ParamInfo,
  backbone: BackboneInfo | undefined,
): E.Either<{ readonly path: string; readonly message: string }, readonly [number, number]> => {
  if (p.layerDepth !== undefined) return E.right(p.layerDepth)
  const where = (message: string) => ({ path: 'model.backbone.kind', message })
  switch (backbone?.kind) {
    case 'vit':
      return backbone.numLayers === undefined
        ? E.left({ path: 'model.backbone.numLayers', message: 'a vit backbone needs numLayers (its num_layers)' })
        : E.mapLeft(where)(vitLayerDepth(p.name, backbone.numLayers))
    case 'swin':
      return backbone.depths === undefined
        ? E.left({ path: 'model.backbone.depths', message: 'a swin backbone needs depths' })
        : E.mapLeft(where)(swinLayerDepth(p.name, backbone.depths))
    default:
      return E.left(
        where(
          `the layer-wise lr decay needs the model's get_layer_depth: give backbone.kind ` +
            `('vit' or 'swin') or a layerDepth for '${p.name}' (MMPretrain raises ` +
            `NotImplementedError)`,
        ),
      )
  }
}
