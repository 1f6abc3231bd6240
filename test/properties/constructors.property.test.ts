/**
 * Properties of the optimizer wrapper constructors on generated models and
 * generated `paramwise_cfg`: every trainable parameter lands in exactly one
 * group, groups keep model order, and every lr / weight decay is `base · mult`
 * for the rule an independent oracle says applies.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  defaultConstructor,
  powInt,
  pretrainLayerDecayConstructor,
  selfsupLayerDecayConstructor,
} from '../../src/optim/constructors/index.js'
import type { GroupRecord, ModelInfo, ModuleInfo, ParamInfo } from '../../src/optim/constructors/index.js'
import type { Json } from '../../src/schema/codec.js'

// ---------------------------------------------------------------- models

interface Leaf {
  readonly kind: 'leaf'
  readonly type: string
  readonly hasBias: boolean
  readonly inChannels: number
  readonly groups: number
  readonly frozen: ReadonlyArray<boolean>
}
interface Container {
  readonly kind: 'container'
  readonly own: ReadonlyArray<{ readonly name: string; readonly ndim: number; readonly frozen: boolean }>
  readonly children: ReadonlyArray<readonly [string, Node]>
}
type Node = Leaf | Container

const leafTypes = [
  'Linear',
  'Conv2d',
  'BatchNorm2d',
  'LayerNorm',
  'GroupNorm',
  'InstanceNorm2d',
  'SyncBatchNorm',
  'Embedding',
  'DeformConv2d',
] as const
const childNames = [
  'backbone',
  'head',
  'neck',
  'layers',
  '0',
  '1',
  '2',
  'conv',
  'conv1',
  'bn',
  'fc',
  'norm',
  'sub',
  'attn',
  'gn',
  'ln',
  'conv_offset',
  'bias_proj',
  'pos',
]

const tree = fc.letrec<{ node: Node; leaf: Leaf; container: Container }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: tie('leaf'), weight: 1 },
    { arbitrary: tie('container'), weight: 2 },
  ),
  leaf: fc.record({
    kind: fc.constant('leaf' as const),
    type: fc.constantFrom(...leafTypes),
    hasBias: fc.boolean(),
    inChannels: fc.integer({ min: 1, max: 3 }),
    groups: fc.integer({ min: 1, max: 3 }),
    frozen: fc.array(
      fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
      { minLength: 4, maxLength: 4 },
    ),
  }),
  container: fc.record({
    kind: fc.constant('container' as const),
    own: fc.uniqueArray(
      fc.record({
        name: fc.constantFrom('param1', 'pos_embed', 'cls_token', 'scale', 'bias'),
        ndim: fc.integer({ min: 0, max: 3 }),
        frozen: fc.boolean(),
      }),
      { maxLength: 2, selector: (p) => p.name },
    ),
    children: fc.uniqueArray(fc.tuple(fc.constantFrom(...childNames), tie('node')), {
      maxLength: 4,
      selector: ([n]) => n,
    }),
  }),
}))

const join = (prefix: string, name: string): string => (prefix === '' ? name : `${prefix}.${name}`)

/** named_parameters() of a generated tree: a module's own parameters, then its children. */
const flatten = (node: Node, prefix: string, inDcn: boolean): ParamInfo[] => {
  if (node.kind === 'container') {
    const module: ModuleInfo = { type: 'Container' }
    const own = node.own.map(
      (p): ParamInfo => ({
        name: join(prefix, p.name),
        shape: Array.from({ length: p.ndim }, () => 2),
        requiresGrad: !p.frozen,
        module,
        ...(inDcn ? { inDcn } : {}),
      }),
    )
    return [...own, ...node.children.flatMap(([name, child]) => flatten(child, join(prefix, name), false))]
  }
  const conv = node.type === 'Conv2d' || node.type === 'DeformConv2d'
  const module: ModuleInfo = conv
    ? { type: node.type, inChannels: node.inChannels, groups: node.groups }
    : { type: node.type }
  const weightShape = conv ? [4, 2, 3, 3] : node.type === 'Linear' || node.type === 'Embedding' ? [4, 2] : [4]
  const extra = inDcn ? { inDcn } : {}
  const own: ParamInfo[] = [
    { name: join(prefix, 'weight'), shape: weightShape, requiresGrad: node.frozen[0] !== true, module, ...extra },
  ]
  if (node.hasBias && node.type !== 'Embedding')
    own.push({ name: join(prefix, 'bias'), shape: [4], requiresGrad: node.frozen[1] !== true, module, ...extra })
  if (node.type !== 'DeformConv2d') return own
  // A DCN's offset conv is a Conv2d child inside the DCN.
  const offset: ModuleInfo = { type: 'Conv2d', inChannels: node.inChannels, groups: 1 }
  const at = join(prefix, 'conv_offset')
  return [
    ...own,
    { name: `${at}.weight`, shape: [18, 2, 3, 3], requiresGrad: node.frozen[2] !== true, module: offset, inDcn: true },
    { name: `${at}.bias`, shape: [18], requiresGrad: node.frozen[3] !== true, module: offset, inDcn: true },
  ]
}

/** Mark some parameters as the same tensor as an earlier one (shape and requires_grad follow). */
const share = (params: ReadonlyArray<ParamInfo>, pairs: ReadonlyArray<readonly [number, number]>): ParamInfo[] => {
  const out = [...params]
  for (const [a, b] of pairs) {
    if (out.length < 2) break
    const i = Math.max(a, b) % out.length
    const j = Math.min(a, b) % out.length
    const [later, earlier] = i > j ? [i, j] : [j, i]
    if (later === earlier) continue
    const target = out[earlier]!
    const p = out[later]!
    if (target.sameTensorAs !== undefined || p.sameTensorAs !== undefined || out.some((q) => q.sameTensorAs === p.name))
      continue
    out[later] = { ...p, shape: target.shape, requiresGrad: target.requiresGrad, sameTensorAs: target.name }
  }
  return out
}

const modelArb: fc.Arbitrary<ModelInfo> = fc
  .tuple(tree.container, fc.array(fc.tuple(fc.nat(40), fc.nat(40)), { maxLength: 2 }))
  .map(([node, pairs]) => ({ params: share(flatten(node, '', false), pairs) }))
  .filter((m) => m.params.length > 0)

// ------------------------------------------------------- paramwise_cfg

const mult = fc.oneof(fc.constantFrom(0, 0.1, 0.5, 1, 2, 10), fc.double({ min: 0, max: 10, noNaN: true }))
const optional = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined })

/** The string the default constructor matches keys against: `prefix.name`, so `.name` at the root. */
const matchNameOracle = (name: string): string => (name.includes('.') ? name : `.${name}`)

/** Keys: slices of the parameters' match names (so that they match), plus a few fixed ones. */
const keyArb = (model: ModelInfo): fc.Arbitrary<string> => {
  const names = model.params.map((p) => matchNameOracle(p.name))
  const slice = fc
    .tuple(fc.constantFrom(...names), fc.nat(30), fc.nat(30))
    .map(([n, a, b]) => n.slice(Math.min(a, b) % (n.length + 1), (Math.max(a, b) % (n.length + 1)) + 1))
  // Whole dotted segments, as real configs write keys ('sub.gn', 'conv1', '.weight').
  const segments = fc
    .tuple(fc.constantFrom(...names), fc.nat(5), fc.nat(2), fc.boolean())
    .map(([n, start, count, dot]) => {
      const parts = n.split('.')
      const from = start % parts.length
      return `${dot ? '.' : ''}${parts.slice(from, from + count + 1).join('.')}`
    })
  return fc.oneof(
    slice,
    segments,
    segments,
    fc.constantFrom('bias', 'norm', '.param1', 'layers.0', 'nothing_matches', '.'),
  )
}

const entryArb = (withDecay: boolean): fc.Arbitrary<{ [key: string]: Json }> =>
  fc
    .record({
      lr_mult: optional(mult),
      decay_mult: withDecay ? optional(mult) : fc.constant(undefined),
      lars_exclude: optional(fc.boolean()),
    })
    .map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as { [key: string]: Json })

interface Scenario {
  readonly model: ModelInfo
  readonly optimizer: { readonly type: string; readonly lr: number; readonly weight_decay?: number }
  readonly paramwise: { readonly [key: string]: Json }
}

const scenarioArb: fc.Arbitrary<Scenario> = modelArb.chain((model) =>
  fc
    .record({
      lr: fc.double({ min: 1e-6, max: 1, noNaN: true }),
      wd: optional(fc.double({ min: 0, max: 1, noNaN: true })),
    })
    .chain(({ lr, wd }) =>
      fc
        .record({
          custom_keys: optional(fc.dictionary(keyArb(model), entryArb(wd !== undefined), { maxKeys: 4 })),
          bias_lr_mult: optional(mult),
          bias_decay_mult: wd === undefined ? fc.constant(undefined) : optional(mult),
          norm_decay_mult: wd === undefined ? fc.constant(undefined) : optional(mult),
          dwconv_decay_mult: wd === undefined ? fc.constant(undefined) : optional(mult),
          flat_decay_mult: optional(mult),
          dcn_offset_lr_mult: optional(mult),
        })
        .map((pw) => ({
          model,
          optimizer: { type: 'SGD', lr, ...(wd === undefined ? {} : { weight_decay: wd }) },
          // bypass_duplicate keeps shared tensors from being an error; the error has its own property.
          paramwise: {
            ...Object.fromEntries(Object.entries(pw).filter(([, v]) => v !== undefined)),
            bypass_duplicate: true,
          } as { [key: string]: Json },
        })),
    ),
)

// ------------------------------------------------------------- oracles

const normTypes = new Set(['BatchNorm2d', 'LayerNorm', 'GroupNorm', 'InstanceNorm2d', 'SyncBatchNorm'])

/** Among the keys that are substrings, the longest; among equal lengths the alphabetically first. */
const winnerOracle = (keys: ReadonlyArray<string>, matchName: string): string | undefined =>
  keys
    .filter((k) => matchName.includes(k))
    .reduce<string | undefined>(
      (best, k) =>
        best === undefined ||
        Array.from(k).length > Array.from(best).length ||
        (Array.from(k).length === Array.from(best).length && k < best)
          ? k
          : best,
      undefined,
    )

/** The trainable parameters the default constructor groups, in order (duplicates of grouped tensors skipped). */
const trainable = (model: ModelInfo): ParamInfo[] => {
  const root = (p: ParamInfo): string =>
    p.sameTensorAs === undefined ? p.name : root(model.params.find((q) => q.name === p.sameTensorAs)!)
  const grouped = new Set<string>()
  return model.params.filter((p) => {
    if (grouped.has(root(p)) || !p.requiresGrad) return false
    grouped.add(root(p))
    return true
  })
}

/** The group the default constructor should build for one trainable parameter. */
const expectedGroup = (p: ParamInfo, s: Scenario): GroupRecord => {
  const lr = s.optimizer.lr
  const wd = s.optimizer.weight_decay
  const keys = Object.keys((s.paramwise['custom_keys'] as object | undefined) ?? {})
  const winner = winnerOracle(keys, matchNameOracle(p.name))
  if (winner !== undefined) {
    const entry = (s.paramwise['custom_keys'] as { [k: string]: { [k: string]: Json } })[winner]!
    return {
      params: [p.name],
      lr: lr * ((entry['lr_mult'] as number | undefined) ?? 1),
      ...(wd === undefined ? {} : { weight_decay: wd * ((entry['decay_mult'] as number | undefined) ?? 1) }),
      ...entry,
    }
  }
  const m = (k: string) => s.paramwise[k] as number | undefined
  const own = p.name.split('.').at(-1)
  const prefix = p.name.split('.').slice(0, -1).join('.')
  const norm = normTypes.has(p.module.type)
  const dcn = p.inDcn === true
  const dw = p.module.type === 'Conv2d' && p.module.inChannels === (p.module.groups ?? 1)
  const group: { [key: string]: Json } = {}
  const lrRules: ReadonlyArray<readonly [boolean, number | undefined]> = [
    [own === 'bias' && !norm && !dcn, m('bias_lr_mult')],
    [prefix.includes('conv_offset') && dcn && p.module.type === 'Conv2d', m('dcn_offset_lr_mult')],
  ]
  // The later lr rule overrides the earlier.
  for (const [applies, k] of lrRules) if (applies && k !== undefined) group['lr'] = lr * k
  if (wd !== undefined) {
    const wdRules: ReadonlyArray<readonly [boolean, number | undefined]> = [
      [norm, m('norm_decay_mult')],
      [own === 'bias' && !dcn, m('bias_decay_mult')],
      [dw, m('dwconv_decay_mult')],
      [p.shape.length === 1 && !dcn, m('flat_decay_mult')],
    ]
    const rule = wdRules.find(([applies, k]) => applies && k !== undefined)
    if (rule !== undefined) group['weight_decay'] = wd * rule[1]!
  }
  return { params: [p.name], ...group }
}

const runDefault = (s: Scenario) => {
  const r = defaultConstructor(s.optimizer, s.paramwise, s.model)
  if (r._tag === 'Left') throw new Error(JSON.stringify(r.left))
  return r.right
}

// ---------------------------------------------------------- properties

describe('DefaultOptimWrapperConstructor properties', () => {
  it('every trainable parameter lands in exactly one group, in model order; frozen ones in none', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { groups } = runDefault(s)
        expect(groups.every((g) => g.params.length === 1)).toBe(true)
        expect(groups.map((g) => g.params[0])).toEqual(trainable(s.model).map((p) => p.name))
        const frozen = new Set(s.model.params.filter((p) => !p.requiresGrad).map((p) => p.name))
        expect(groups.some((g) => frozen.has(g.params[0]!))).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  it('lr and weight decay are base · mult for the rule the oracle picks, with exactly the keys it sets', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { groups, log } = runDefault(s)
        const expected = trainable(s.model).map((p) => expectedGroup(p, s))
        expect(groups).toEqual(expected)
        groups.forEach((g, i) => {
          expect(Object.keys(g)).toEqual(Object.keys(expected[i]!))
        })
        // One log line per override.
        expect(log).toHaveLength(expected.reduce((n, g) => n + Object.keys(g).length - 1, 0))
      }),
      { numRuns: 400 },
    )
  })

  it('an empty paramwise_cfg gives one group: every tensor once, frozen ones included', () => {
    fc.assert(
      fc.property(modelArb, fc.constantFrom(undefined, null, {}), (model, paramwise) => {
        const r = defaultConstructor({ type: 'SGD', lr: 0.1 }, paramwise, model)
        expect(r).toEqual({
          _tag: 'Right',
          right: {
            groups: [{ params: model.params.filter((p) => p.sameTensorAs === undefined).map((p) => p.name) }],
            log: [],
            warnings: [],
            optimizerCfg: { type: 'SGD', lr: 0.1 },
          },
        })
      }),
    )
  })

  it('without bypass_duplicate, a shared trainable tensor is an error, and only then', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { bypass_duplicate: _bypass, ...paramwise } = s.paramwise
        const r = defaultConstructor(s.optimizer, { ...paramwise, custom_keys: {} }, s.model)
        const sharedTrainable = s.model.params.some((p) => p.sameTensorAs !== undefined && p.requiresGrad)
        expect(r._tag).toBe(sharedTrainable ? 'Left' : 'Right')
      }),
    )
  })

  it('without optimizer.weight_decay, a decay multiplier (except flat_decay_mult) is an error, and only then', () => {
    const decayArb = fc.record({
      custom_keys: optional(fc.dictionary(fc.constantFrom('bias', 'norm', 'x'), entryArb(true), { maxKeys: 3 })),
      bias_decay_mult: optional(mult),
      norm_decay_mult: optional(mult),
      dwconv_decay_mult: optional(mult),
      flat_decay_mult: optional(mult),
    })
    fc.assert(
      fc.property(modelArb, decayArb, (model, raw) => {
        const pw = {
          ...Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)),
          bypass_duplicate: true,
        }
        const r = defaultConstructor({ type: 'SGD', lr: 0.1 }, pw, model)
        const decay =
          Object.values(raw.custom_keys ?? {}).some((e) => 'decay_mult' in e) ||
          raw.bias_decay_mult !== undefined ||
          raw.norm_decay_mult !== undefined ||
          raw.dwconv_decay_mult !== undefined
        expect(r._tag).toBe(decay ? 'Left' : 'Right')
        if (r._tag === 'Right') expect(r.right.groups.some((g) => Object.hasOwn(g, 'weight_decay'))).toBe(false)
      }),
    )
  })
})

// --------------------------------------------------- layer decay (ViT)

const vitNames = (numLayers: number): ReadonlyArray<string> => [
  'backbone.cls_token',
  'backbone.pos_embed',
  'backbone.mask_token',
  'backbone.patch_embed.projection.weight',
  'backbone.patch_embed.projection.bias',
  ...Array.from({ length: numLayers }, (_, i) => [
    `backbone.layers.${i}.ln1.weight`,
    `backbone.layers.${i}.attn.qkv.weight`,
    `backbone.layers.${i}.attn.qkv.bias`,
  ]).flat(),
  'backbone.ln1.weight',
  'backbone.ln1.bias',
  'neck.decoder.weight',
  'head.fc.weight',
  'head.fc.bias',
]

const vitModelArb: fc.Arbitrary<ModelInfo> = fc.integer({ min: 0, max: 4 }).chain((numLayers) => {
  const names = vitNames(numLayers)
  return fc.array(fc.boolean(), { minLength: names.length, maxLength: names.length }).map((frozen) => ({
    backbone: { kind: 'vit' as const, numLayers },
    params: names.map(
      (name, i): ParamInfo => ({
        name,
        shape: /bias|ln1|token|embed$/.test(name) ? [8] : [8, 8],
        requiresGrad: !(frozen[i]! && i % 3 === 0),
        module: { type: name.includes('ln1') ? 'LayerNorm' : 'Linear' },
      }),
    ),
  }))
})

const vitKeys = fc.dictionary(
  fc.constantFrom('.bias', 'bias', '.cls_token', '.pos_embed', 'pos_embed', 'ln1', 'layers.0', 'qkv.bias', 'head'),
  fc.record({ decay_mult: mult }),
  { maxKeys: 4 },
)

/** ViT layer id: stem 0, layers.i i+1, the rest num_layers − 1 (MMSelfSup's rule). */
const vitIdOracle = (name: string, numLayers: number): number => {
  const m = /^backbone\.layers\.(\d+)\./.exec(name)
  if (m !== null) return Number(m[1]) + 1
  return ['backbone.cls_token', 'backbone.pos_embed', 'backbone.mask_token'].includes(name) ||
    name.startsWith('backbone.patch_embed')
    ? 0
    : numLayers - 1
}

describe('layer-decay constructors: properties', () => {
  it(
    'MMSelfSup: one group per (layer, decay kind), first-seen order, lr = lr_scale · ' +
      'base_lr, last matching key decides decay',
    () => {
      fc.assert(
        fc.property(
          vitModelArb,
          vitKeys,
          fc.double({ min: 0.05, max: 2, noNaN: true }),
          fc.double({ min: 1e-5, max: 1, noNaN: true }),
          (model, keys, rate, lr) => {
            const r = selfsupLayerDecayConstructor(
              { type: 'AdamW', lr, weight_decay: 0.05, model_type: 'vit', layer_decay_rate: rate },
              { custom_keys: keys },
              model,
            )
            if (r._tag === 'Left') throw new Error(JSON.stringify(r.left))
            const groups = r.right.groups
            const n = model.backbone!.numLayers! + 2
            const trainableNames = model.params.filter((p) => p.requiresGrad).map((p) => p.name)
            expect(groups.flatMap((g) => g.params).sort()).toEqual([...trainableNames].sort())
            expect(new Set(groups.map((g) => g['group_name'])).size).toBe(groups.length)
            // Shortest matching key wins (the last in longest-first order).
            const decayOf = (name: string): number => {
              const matching = Object.keys(keys).filter((k) => name.includes(k))
              const last = matching.reduce<string | undefined>(
                (w, k) =>
                  w === undefined ||
                  Array.from(k).length < Array.from(w).length ||
                  (Array.from(k).length === Array.from(w).length && k > w)
                    ? k
                    : w,
                undefined,
              )
              return last === undefined ? 0.05 : 0.05 * keys[last]!.decay_mult
            }
            const expectedName = (name: string) =>
              `layer_${vitIdOracle(name, n)}_${decayOf(name) === 0 ? 'no_decay' : 'decay'}`
            const firstSeen = [...new Set(trainableNames.map(expectedName))]
            expect(groups.map((g) => g['group_name'])).toEqual(firstSeen)
            for (const g of groups) {
              const id = Number(/^layer_(-?\d+)_/.exec(g['group_name'] as string)![1])
              expect(g['lr_scale']).toBe(powInt(rate, n - id - 1))
              expect(g['lr']).toBe((g['lr_scale'] as number) * lr)
              expect(g.params.every((name) => expectedName(name) === g['group_name'])).toBe(true)
              expect(g['weight_decay']).toBe(decayOf(g.params[0]!))
            }
          },
        ),
        { numRuns: 200 },
      )
    },
  )

  it(
    'MMPretrain: one group per trainable parameter, lr = base_lr · rate^(max − id − ' +
      '1), decay: key > norm > bias > flat > base',
    () => {
      fc.assert(
        fc.property(
          vitModelArb,
          vitKeys,
          fc.record({
            norm_decay_mult: optional(mult),
            bias_decay_mult: optional(mult),
            flat_decay_mult: optional(mult),
          }),
          fc.double({ min: 0.05, max: 2, noNaN: true }),
          (model, keys, mults, rate) => {
            const pw = {
              ...Object.fromEntries(Object.entries(mults).filter(([, v]) => v !== undefined)),
              custom_keys: keys,
              layer_decay_rate: rate,
            }
            const r = pretrainLayerDecayConstructor({ type: 'AdamW', lr: 0.5, weight_decay: 0.05 }, pw, model)
            if (r._tag === 'Left') throw new Error(JSON.stringify(r.left))
            const trainableParams = model.params.filter((p) => p.requiresGrad)
            expect(r.right.groups.map((g) => g.params)).toEqual(trainableParams.map((p) => [p.name]))
            const max = model.backbone!.numLayers! + 2
            r.right.groups.forEach((g, i) => {
              const p = trainableParams[i]!
              // MMPretrain's vit rule differs from MMSelfSup's only for mask_token (not a stem name there).
              const id = p.name === 'backbone.mask_token' ? max - 1 : vitIdOracle(p.name, max)
              expect(g['layer_id']).toBe(id)
              expect(g['lr']).toBe(0.5 * powInt(rate, max - id - 1))
              const key = winnerOracle(Object.keys(keys), p.name)
              const wd =
                key !== undefined
                  ? 0.05 * keys[key]!.decay_mult
                  : p.module.type === 'LayerNorm' && mults.norm_decay_mult !== undefined
                    ? 0.05 * mults.norm_decay_mult
                    : p.name.endsWith('.bias') && mults.bias_decay_mult !== undefined
                      ? 0.05 * mults.bias_decay_mult
                      : p.shape.length === 1 && mults.flat_decay_mult !== undefined
                        ? 0.05 * mults.flat_decay_mult
                        : 0.05
              expect(g['weight_decay']).toBe(wd)
            })
          },
        ),
        { numRuns: 200 },
      )
    },
  )
})
