/**
 * The backbones an algorithm's `backbone=dict(type=...)` may name, described
 * without tensors (arguments and parameters), and the codec that checks such a
 * dict. `./registry.ts` lists the same backbones with their tensor code.
 * @module
 */
import * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { expected, isDict } from '../../schema/codec.js'
import * as Registries from '../../schema/registry.js'
import type { BackboneDescription } from './Backbone.js'
import { ResNetCifarDescription, ResNetDescription } from './ResNetDescription.js'
import { SmallCNNDescription } from './SmallCNNDescription.js'

/** Every backbone loopwright provides for self-supervised algorithms, described. */
export const defaultBackboneDescriptions: Registries.Registry<BackboneDescription> = Registries.make(
  'backbone',
  [ResNetDescription, ResNetCifarDescription, SmallCNNDescription],
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
    const resolved = Registries.resolve(defaultBackboneDescriptions, u['type'])
    if (resolved._tag === 'Left')
      return t.failure(u['type'], t.appendContext(c, 'type', t.string, u['type']), resolved.left)
    const { type: _type, ...rest } = u
    const decoded = resolved.right.args.validate(rest, c)
    return decoded._tag === 'Left' ? decoded : t.success(u as { readonly type: string })
  },
  t.identity,
)

/** The parameters and feature channels of a decoded backbone dict. */
export const describeBackbone = (dict: {
  readonly type: string
}): { readonly params: ReadonlyArray<ParamInfo>; readonly outChannels: number } => {
  const resolved = Registries.resolve(defaultBackboneDescriptions, dict.type)
  if (resolved._tag === 'Left') throw new Error(`backbone: ${resolved.left}`)
  const { type: _type, ...rest } = dict as { readonly type: string; readonly [k: string]: unknown }
  const decoded = resolved.right.args.decode(rest)
  if (decoded._tag === 'Left') throw new Error(`backbone: invalid ${dict.type} arguments`)
  return {
    params: resolved.right.info(decoded.right as never),
    outChannels: resolved.right.outChannels(decoded.right as never),
  }
}
