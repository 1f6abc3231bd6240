/**
 * `optim_wrapper` (spec §7–§11, §14.2): its structure. What the optimizer
 * and the param-wise options *mean* belongs to the optimizer layer.
 * @module
 */
import * as t from 'io-ts'
import {
  boolean,
  check,
  refine,
  dispatch,
  expected,
  isDict,
  json,
  literal,
  nonEmptyString,
  nullable,
  number,
  positiveInt,
  positiveNumber,
  record,
  strayKeys,
  struct,
} from '../../schema/codec.js'
import type { Codec, Json } from '../../schema/codec.js'
import { unscoped } from '../../schema/registry.js'
import { component } from './component.js'

const normClip = struct(
  'a norm clip_grad dict (max_norm, norm_type, error_if_nonfinite)',
  { max_norm: positiveNumber },
  {
    type: refine("'norm' or 'value'", (u): u is 'norm' => u === 'norm'),
    norm_type: dispatch('a positive number or "inf"', [
      [(u) => typeof u === 'string', literal('inf')],
      [() => true, positiveNumber],
    ]),
    error_if_nonfinite: boolean,
    foreach: nullable(boolean),
  },
)
const valueClip = struct("a value clip_grad dict (type='value', clip_value)", {
  type: literal('value'),
  clip_value: positiveNumber,
})

/** MMEngine's documented `clip_grad=dict(clip_value=…)` fails in its own source; say how to write it. */
const valueWithoutType = new t.Type<{ readonly clip_value: number }, { readonly clip_value: number }, unknown>(
  'value clipping without type',
  (_u): _u is { readonly clip_value: number } => false,
  (u, c) =>
    t.failures([
      {
        value: undefined,
        context: t.appendContext(c, 'type', t.string, undefined),
        message: "required key missing: clip_value needs type='value' (norm clipping is the default type)",
      },
      ...(isDict(u)
        ? strayKeys(u, c, ['type', 'clip_value', 'max_norm', 'norm_type', 'error_if_nonfinite', 'foreach'])
        : []),
    ]),
  t.identity,
)

const clipGrad = dispatch("a clip_grad dict: dict(max_norm=…) for norm clipping or dict(type='value', clip_value=…)", [
  [(u) => isDict(u) && u['type'] === undefined && u['clip_value'] !== undefined, valueWithoutType],
  [(u) => isDict(u) && u['type'] === 'value', valueClip],
  [(u) => isDict(u), normClip],
])

const lossScaleDict = struct(
  'a GradScaler dict (init_scale, growth_factor, backoff_factor, growth_interval, enabled)',
  {},
  {
    init_scale: positiveNumber,
    growth_factor: check(number, (x) => (x > 1 ? undefined : `expected a number > 1, got ${x}`)),
    backoff_factor: check(number, (x) => (x > 0 && x < 1 ? undefined : `expected a number between 0 and 1, got ${x}`)),
    growth_interval: positiveInt,
    enabled: boolean,
  },
)

const lossScale = dispatch("'dynamic', a positive number, or a GradScaler dict", [
  [(u) => typeof u === 'string', literal('dynamic')],
  [(u) => typeof u === 'number', positiveNumber],
  [() => true, lossScaleDict],
])

/** `custom_keys` entries: multipliers plus any flags to copy into the param group (`lars_exclude`, `fix_lr`, …). */
const customKey = check(record(json, 'a dict of param-group settings (lr_mult, decay_mult, …)'), (entry) => {
  for (const k of ['lr_mult', 'decay_mult'] as const) {
    const v = entry[k]
    if (v !== undefined && (typeof v !== 'number' || v < 0))
      return `${k}: expected a number ≥ 0, got ${JSON.stringify(v)}`
  }
  return undefined
})

const multiplier = check(number, (x) => (x >= 0 ? undefined : `expected a number ≥ 0, got ${x}`))

export const paramwiseCfg = struct(
  'a paramwise_cfg dict',
  {},
  {
    custom_keys: record(customKey),
    bias_lr_mult: multiplier,
    bias_decay_mult: multiplier,
    norm_decay_mult: multiplier,
    dwconv_decay_mult: multiplier,
    flat_decay_mult: multiplier,
    dcn_offset_lr_mult: multiplier,
    bypass_duplicate: boolean,
    layer_decay_rate: positiveNumber,
  },
)

const wrapperKeys = {
  type: nonEmptyString,
  optimizer: component('an optimizer dict with a `type` (e.g. SGD, AdamW, LARS)'),
  paramwise_cfg: paramwiseCfg,
  constructor: nonEmptyString,
  accumulative_counts: positiveInt,
  clip_grad: nullable(clipGrad),
  loss_scale: lossScale,
  dtype: nullable(literal('float16', 'bfloat16', 'float32', 'float64')),
  use_fsdp: boolean,
}

const singleWrapper = check(struct('an optim_wrapper dict (type, optimizer, …)', {}, wrapperKeys), (w) => {
  const type = w.type === undefined ? 'OptimWrapper' : unscoped(w.type)
  if (type !== 'AmpOptimWrapper') {
    for (const k of ['loss_scale', 'dtype', 'use_fsdp'] as const)
      if (w[k] !== undefined) return `${k} is only accepted by AmpOptimWrapper (type is '${type}')`
  }
  if (w.optimizer === undefined && !Object.hasOwn(w, 'constructor'))
    return 'needs an `optimizer` dict (or a `constructor` that builds the optimizers)'
  return undefined
})

export type SingleWrapperCfg = t.TypeOf<typeof singleWrapper>
export type OptimWrapperCfg = SingleWrapperCfg | { readonly [name: string]: Json }

const isSingle = (u: unknown): boolean =>
  isDict(u) &&
  (u['optimizer'] !== undefined ||
    u['type'] !== undefined ||
    Object.keys(u).every((k) => Object.hasOwn(wrapperKeys, k)))

/**
 * A single wrapper, or an `OptimWrapperDict`: named wrappers (plus an optional
 * `constructor` that builds them), spec §9.
 */
export const optimWrapper: Codec<OptimWrapperCfg> = new t.Type<OptimWrapperCfg, OptimWrapperCfg, unknown>(
  'an optim_wrapper dict',
  (u): u is OptimWrapperCfg => optimWrapper.validate(u, [])._tag === 'Right',
  (u, c) => {
    if (!isDict(u)) return expected(u, c, 'an optim_wrapper dict')
    if (isSingle(u)) return singleWrapper.validate(u, c)
    const errors: t.ValidationError[] = []
    for (const [name, value] of Object.entries(u)) {
      if (value === undefined) continue
      const codec = name === 'constructor' ? nonEmptyString : name === 'paramwise_cfg' ? paramwiseCfg : singleWrapper
      const r = (codec as Codec<unknown>).validate(value, t.appendContext(c, name, codec, value))
      if (r._tag === 'Left') errors.push(...r.left)
    }
    if (errors.length > 0) return t.failures(errors)
    if (!Object.hasOwn(u, 'constructor'))
      return t.failure(
        u,
        c,
        'several named optimizer wrappers need a `constructor` (OptimWrapperDict), or ' +
          'give one wrapper with an `optimizer` key',
      )
    return t.success(u as OptimWrapperCfg)
  },
  t.identity,
)
