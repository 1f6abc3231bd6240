/**
 * What every algorithm has: a backbone, a neck, a head, built from their
 * config dicts; the online encoder `neck(backbone(x))`; parameters and
 * buffers initialised in MMSelfSup's module order (backbone, neck, head).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../../dsl/Rng.js'
import type { ModelInfo } from '../../models/ModelInfo.js'
import type { Tree } from '../../tensor/tree.js'
import type { Backbone } from '../backbones/Backbone.js'
import { buildBackbone } from '../backbones/registry.js'
import type { ComponentContext, Initialised, LossComponent, Neck } from '../Component.js'
import { defaultComponentTypes } from '../components.js'
import { buildLoss, buildNeck, type ComponentDict } from '../registry.js'

export { commonArgs, ignoredArgs } from './algorithmDescriptions.js'

export interface Parts {
  readonly backbone: Backbone
  readonly neck: Neck
  readonly head: LossComponent
}

export const buildParts = (a: {
  readonly backbone: { readonly type: string }
  readonly neck: ComponentDict
  readonly head: ComponentDict
}): Parts => ({
  backbone: buildBackbone(a.backbone),
  neck: buildNeck(defaultComponentTypes, a.neck, 'model.neck'),
  head: buildLoss(defaultComponentTypes, a.head, 'model.head'),
})

/** Backbone, neck and head parameters and buffers, drawn in that order. */
export const initParts = (parts: Parts, rng: Rng.Rng): Initialised => {
  const b = parts.backbone.init(rng)
  const n = parts.neck.init('neck', b.rng)
  const h = parts.head.init('head', n.rng)
  return {
    params: { ...b.params, ...n.params, ...h.params },
    buffers: { ...b.buffers, ...n.buffers, ...h.buffers },
    rng: h.rng,
  }
}

/** The parameters in module order. */
export const infoOf = (parts: Parts): ModelInfo => ({
  params: [...parts.backbone.info, ...parts.neck.info('neck'), ...parts.head.info('head')],
})

/** `neck(backbone(x))`: the projection and the buffers the pass changed (online names). */
export const encode = (
  parts: Parts,
  params: Tree,
  buffers: Tree,
  x: tf.Tensor,
  ctx: ComponentContext,
): { readonly z: tf.Tensor; readonly buffers: Tree } => {
  const map = parts.backbone.apply(params, buffers, x, ctx.training, ctx.replicas)
  const afterBackbone = { ...buffers, ...map.buffers }
  const z = parts.neck.apply(params, afterBackbone, 'neck', map.value, ctx)
  return { z: z.value, buffers: { ...map.buffers, ...z.buffers } }
}

/**
 * The first two views through backbone and neck ({@link encode}), the second seeing the first's buffer updates;
 * `online`: `buffers` after both.
 */
export const encodeTwoViews = (
  parts: Parts,
  params: Tree,
  buffers: Tree,
  views: ReadonlyArray<tf.Tensor>,
  ctx: ComponentContext,
): {
  readonly e1: ReturnType<typeof encode>
  readonly e2: ReturnType<typeof encode>
  readonly online: Tree
} => {
  const e1 = encode(parts, params, buffers, views[0]!, ctx)
  const e2 = encode(parts, params, { ...buffers, ...e1.buffers }, views[1]!, ctx)
  return { e1, e2, online: { ...buffers, ...e1.buffers, ...e2.buffers } }
}

/** A sum of scalars times a factor, as `factor · (a + b)`. */
export const scaledSum = (factor: number, ...xs: ReadonlyArray<tf.Scalar>): tf.Scalar =>
  tf.mul(tf.addN(xs as tf.Scalar[]), factor) as tf.Scalar
