/**
 * The backbones an algorithm's `backbone=dict(type=...)` may name.
 * @module
 */
import * as t from 'io-ts'
import { expected, isDict } from '../../schema/codec.js'
import * as Registries from '../../schema/registry.js'
import type { Backbone, BackboneType } from './Backbone.js'
import { ResNetBackbone, ResNetCifarBackbone } from './ResNet.js'
import { SmallCNNBackbone } from './SmallCNN.js'

/** Every backbone loopwright provides for self-supervised algorithms. */
export const defaultBackboneTypes: Registries.Registry<BackboneType> = Registries.make(
  'backbone',
  [ResNetBackbone, ResNetCifarBackbone, SmallCNNBackbone],
  [
    ['VisionTransformer', 'not provided as a self-supervised backbone yet'],
    ['MoCoV3ViT', 'not provided yet'],
  ],
)

/** `backbone=dict(type=..., ...)`, checked against the backbone's own codec. */
export const backboneDict: t.Type<{ readonly type: string }, { readonly type: string }, unknown> = new t.Type<
  { readonly type: string },
  { readonly type: string },
  unknown
>(
  'a backbone dict with a `type`',
  (u): u is { readonly type: string } => isDict(u) && typeof u['type'] === 'string',
  (u, c) => {
    if (!isDict(u) || typeof u['type'] !== 'string') return expected(u, c, 'a backbone dict with a `type`')
    const resolved = Registries.resolve(defaultBackboneTypes, u['type'])
    if (resolved._tag === 'Left')
      return t.failure(u['type'], t.appendContext(c, 'type', t.string, u['type']), resolved.left)
    const { type: _type, ...rest } = u
    const decoded = resolved.right.args.validate(rest, c)
    return decoded._tag === 'Left' ? decoded : t.success(u as { readonly type: string })
  },
  t.identity,
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
