/**
 * MMPretrain's `ImageClassifier` (backbone, optional neck, optional head) as
 * MMSelfSup's classification benchmarks configure it, and the necks and heads
 * those configs name, described without tensors.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../schema/codec.js'
import type { Describer, Describers } from './Description.js'
import { describeParts, makeDescribers, noParams, reader } from './Description.js'
import { infoOfSpecs, linearSpecs } from './ParamSpec.js'

const linearInfo = (name: string, inF: number, out: number) => infoOfSpecs(linearSpecs(name, inF, out))

/** `LinearClsHead`: `fc`, `in_channels → num_classes`. */
const linearClsHead: Describer = {
  name: 'LinearClsHead',
  describe: (cfg, prefix, where, ctx) => {
    const r = reader(cfg, where)
    const inChannels = r.number('in_channels', ctx.inChannels ?? Number.NaN)
    const classes = r.number('num_classes', Number.NaN)
    if (Number.isNaN(classes)) r.fail('num_classes', 'num_classes is required')
    if (Number.isNaN(inChannels)) r.fail('in_channels', 'in_channels is required')
    return r.done(() => ({ params: linearInfo(`${prefix}.fc`, inChannels, classes) }))
  },
}

/** `VisionTransformerClsHead`: `layers.head`, after `layers.pre_logits` when `hidden_dim` is set. */
const vitClsHead: Describer = {
  name: 'VisionTransformerClsHead',
  describe: (cfg, prefix, where, ctx) => {
    const r = reader(cfg, where)
    const inChannels = r.number('in_channels', ctx.inChannels ?? Number.NaN)
    const classes = r.number('num_classes', Number.NaN)
    const hidden = r.number('hidden_dim', 0)
    if (Number.isNaN(classes)) r.fail('num_classes', 'num_classes is required')
    if (Number.isNaN(inChannels)) r.fail('in_channels', 'in_channels is required')
    return r.done(() => ({
      params:
        hidden > 0
          ? [
              ...linearInfo(`${prefix}.layers.pre_logits`, inChannels, hidden),
              ...linearInfo(`${prefix}.layers.head`, hidden, classes),
            ]
          : linearInfo(`${prefix}.layers.head`, inChannels, classes),
    }))
  },
}

/** The heads of MMPretrain's classifiers. */
export const classifierHeadDescribers: ReadonlyArray<Describer> = [linearClsHead, vitClsHead, noParams('ClsHead')]

/** The necks of MMPretrain's classifiers. */
export const classifierNeckDescribers: ReadonlyArray<Describer> = [noParams('GlobalAveragePooling')]

/**
 * `ImageClassifier`: the backbone, then the neck and the head when the config has them (None is none), each described
 * by the given registries; the head's `in_channels` defaults to the backbone's width.
 *
 * @example
 * ```ts
 * imageClassifier(backbones, necks, heads).describe(model, '', 'model', {})
 * ```
 */
export const imageClassifier = (backbones: Describers, necks: Describers, heads: Describers): Describer => ({
  name: 'ImageClassifier',
  describe: (cfg, _prefix, where) => {
    const backbone = describeParts(backbones, cfg['backbone'], 'backbone', `${where}.backbone`)
    if (backbone._tag === 'Left') return backbone
    const ctx = backbone.right.outChannels === undefined ? {} : { inChannels: backbone.right.outChannels }
    const issues: Issue[] = []
    const part = (key: 'neck' | 'head', registry: Describers) => {
      const given = cfg[key]
      if (given === undefined || given === null) return []
      // A list of necks is MMEngine's Sequential: its parts are named `neck.0`, `neck.1`, …
      const parts: ReadonlyArray<readonly [unknown, string]> = Array.isArray(given)
        ? given.map((g, i) => [g, `${key}.${i}`] as const)
        : [[given, key]]
      return parts.flatMap(([g, name]) => {
        const d = describeParts(registry, g, name, `${where}.${name}`, ctx)
        if (d._tag === 'Left') issues.push(...d.left)
        return d._tag === 'Right' ? d.right.params : []
      })
    }
    const params = [...backbone.right.params, ...part('neck', necks), ...part('head', heads)]
    if (issues.length > 0) return E.left(issues)
    return E.right({
      params,
      ...(backbone.right.backbone === undefined ? {} : { backbone: backbone.right.backbone }),
    })
  },
})

/** The registries of MMPretrain's classifier necks and heads alone. */
export const classifierNecks: Describers = makeDescribers('neck description', classifierNeckDescribers)
export const classifierHeads: Describers = makeDescribers('head description', classifierHeadDescribers)
