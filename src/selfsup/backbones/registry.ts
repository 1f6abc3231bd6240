/**
 * The backbones an algorithm's `backbone=dict(type=...)` may name, with their
 * tensor code (`./descriptions.ts` describes them without it).
 * @module
 */
import * as Registries from '../../schema/registry.js'
import type { Backbone, BackboneType } from './Backbone.js'
import { ResNetBackbone, ResNetCifarBackbone } from './ResNet.js'
import { SmallCNNBackbone } from './SmallCNN.js'
import { defaultBackboneDescriptions } from './descriptions.js'

export { backboneDict, defaultBackboneDescriptions, describeBackbone } from './descriptions.js'

/** Every backbone loopwright provides for self-supervised algorithms. */
export const defaultBackboneTypes: Registries.Registry<BackboneType> = Registries.make(
  defaultBackboneDescriptions.kind,
  [ResNetBackbone, ResNetCifarBackbone, SmallCNNBackbone],
  [...defaultBackboneDescriptions.notProvided],
)

/** Build a decoded backbone dict. */
export const buildBackbone = (dict: { readonly type: string }): Backbone => {
  const resolved = Registries.resolve(defaultBackboneTypes, dict.type)
  if (resolved._tag === 'Left') throw new Error(`backbone: ${resolved.left}`)
  const { type: _type, ...rest } = dict as { readonly type: string; readonly [k: string]: unknown }
  const decoded = resolved.right.args.decode(rest)
  if (decoded._tag === 'Left') throw new Error(`backbone: invalid ${dict.type} arguments`)
  return resolved.right.build(decoded.right as never)
}
