/**
 * Optimizer types a config may name (`optimizer = dict(type='SGD', …)`) as the
 * plan sees them: PyTorch's defaults and strict argument decoding (an unknown
 * argument is an error with a did-you-mean, as is `lr` missing where PyTorch
 * requires it), without the update rules, so that decoding loads no tensor code.
 * `./registry.ts` pairs each with its `GradientTransformation`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import {
  boolean,
  issuesOf,
  nonNegativeNumber,
  nullable,
  number,
  positiveNumber,
  refine,
  struct,
  unitInterval,
} from '../../schema/codec.js'
import type { AnyCodec, Issue } from '../../schema/codec.js'
import * as Registry from '../../schema/registry.js'
import type { Hyper } from '../ParamGroups.js'

/** An optimizer type without its update rule: what a config may say to it and what it defaults to. */
export interface OptimizerDescription {
  readonly name: string
  /** PyTorch's constructor defaults; `lr: undefined` means "required". */
  readonly defaults: Hyper
  readonly requiresLr: boolean
  readonly args: { readonly [key: string]: AnyCodec }
  /** Cross-argument checks PyTorch makes in the constructor. */
  readonly validate?: (hyper: Hyper) => string | undefined
}

const betas = refine<readonly [number, number]>(
  'a pair of numbers in [0, 1)',
  (u): u is readonly [number, number] =>
    Array.isArray(u) && u.length === 2 && u.every((b) => typeof b === 'number' && b >= 0 && b < 1),
)
const pairOfPositive = refine<readonly [number, number]>(
  'a pair of positive numbers',
  (u): u is readonly [number, number] =>
    Array.isArray(u) && u.length === 2 && u.every((b) => typeof b === 'number' && b > 0),
)
const torchFlags = {
  foreach: nullable(boolean),
  maximize: boolean,
  capturable: boolean,
  differentiable: boolean,
  fused: nullable(boolean),
}
const lr = nonNegativeNumber

const type = (
  name: string,
  requiresLr: boolean,
  defaults: Hyper,
  args: { readonly [key: string]: AnyCodec },
  validate?: (h: Hyper) => string | undefined,
): OptimizerDescription => ({
  name,
  defaults,
  requiresLr,
  args: { lr, ...args },
  ...(validate === undefined ? {} : { validate }),
})

/** torch.optim.Adam's defaults; AdamW's differ only in `weight_decay` (1e-2). */
const adamDefaults: Hyper = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weight_decay: 0,
  amsgrad: false,
  maximize: false,
  foreach: null,
  capturable: false,
  differentiable: false,
  fused: null,
}

const adamArgs = { betas, eps: nonNegativeNumber, weight_decay: nonNegativeNumber, amsgrad: boolean, ...torchFlags }

/** Every optimizer a config may name, by PyTorch's (or MMEngine's) class name. */
export const optimizerDescriptions: Registry.Registry<OptimizerDescription> = Registry.make(
  'optimizer',
  [
    type(
      'SGD',
      true,
      {
        momentum: 0,
        dampening: 0,
        weight_decay: 0,
        nesterov: false,
        maximize: false,
        foreach: null,
        differentiable: false,
      },
      {
        momentum: nonNegativeNumber,
        dampening: number,
        weight_decay: nonNegativeNumber,
        nesterov: boolean,
        ...torchFlags,
      },
      (h) =>
        h['nesterov'] === true && ((h['momentum'] as number) <= 0 || h['dampening'] !== 0)
          ? 'nesterov momentum requires a momentum and zero dampening'
          : undefined,
    ),
    type('Adam', false, adamDefaults, adamArgs),
    type('AdamW', false, { ...adamDefaults, weight_decay: 1e-2 }, adamArgs),
    type(
      'Adamax',
      false,
      {
        lr: 2e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weight_decay: 0,
        foreach: null,
        maximize: false,
        differentiable: false,
      },
      { betas, eps: nonNegativeNumber, weight_decay: nonNegativeNumber, ...torchFlags },
    ),
    type(
      'Adagrad',
      false,
      {
        lr: 1e-2,
        lr_decay: 0,
        weight_decay: 0,
        initial_accumulator_value: 0,
        eps: 1e-10,
        foreach: null,
        maximize: false,
        differentiable: false,
      },
      {
        lr_decay: nonNegativeNumber,
        weight_decay: nonNegativeNumber,
        initial_accumulator_value: nonNegativeNumber,
        eps: nonNegativeNumber,
        ...torchFlags,
      },
    ),
    type(
      'Adadelta',
      false,
      { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0, foreach: null, maximize: false, differentiable: false },
      { rho: unitInterval, eps: nonNegativeNumber, weight_decay: nonNegativeNumber, ...torchFlags },
    ),
    type(
      'RMSprop',
      false,
      {
        lr: 1e-2,
        alpha: 0.99,
        eps: 1e-8,
        weight_decay: 0,
        momentum: 0,
        centered: false,
        foreach: null,
        maximize: false,
        differentiable: false,
      },
      {
        alpha: nonNegativeNumber,
        eps: nonNegativeNumber,
        weight_decay: nonNegativeNumber,
        momentum: nonNegativeNumber,
        centered: boolean,
        ...torchFlags,
      },
    ),
    // torch 1.13's NAdam and RAdam take no `maximize` (nor the other flags but `foreach`).
    type(
      'NAdam',
      false,
      { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, momentum_decay: 4e-3, foreach: null },
      {
        betas,
        eps: nonNegativeNumber,
        weight_decay: nonNegativeNumber,
        momentum_decay: nonNegativeNumber,
        foreach: nullable(boolean),
      },
    ),
    type(
      'RAdam',
      false,
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, foreach: null },
      { betas, eps: nonNegativeNumber, weight_decay: nonNegativeNumber, foreach: nullable(boolean) },
    ),
    type(
      'Rprop',
      false,
      { lr: 1e-2, etas: [0.5, 1.2], step_sizes: [1e-6, 50], foreach: null, maximize: false, differentiable: false },
      { etas: pairOfPositive, step_sizes: pairOfPositive, ...torchFlags },
      (h) => {
        const [minus, plus] = h['etas'] as [number, number]
        return minus < 1 && plus > 1 ? undefined : `etas: expected 0 < etaminus < 1 < etaplus, got (${minus}, ${plus})`
      },
    ),
    type(
      'ASGD',
      false,
      {
        lr: 1e-2,
        lambd: 1e-4,
        alpha: 0.75,
        t0: 1e6,
        weight_decay: 0,
        foreach: null,
        maximize: false,
        differentiable: false,
      },
      {
        lambd: nonNegativeNumber,
        alpha: nonNegativeNumber,
        t0: nonNegativeNumber,
        weight_decay: nonNegativeNumber,
        ...torchFlags,
      },
    ),
    type(
      'LARS',
      true,
      { momentum: 0, weight_decay: 0, dampening: 0, eta: 0.001, nesterov: false, eps: 1e-8 },
      {
        momentum: nonNegativeNumber,
        weight_decay: nonNegativeNumber,
        dampening: number,
        eta: nonNegativeNumber,
        nesterov: boolean,
        eps: nonNegativeNumber,
      },
      (h) =>
        h['nesterov'] === true && ((h['momentum'] as number) <= 0 || h['dampening'] !== 0)
          ? 'nesterov momentum requires a momentum and zero dampening'
          : undefined,
    ),
    type(
      'Lamb',
      false,
      {
        lr: 1e-3,
        bias_correction: true,
        betas: [0.9, 0.999],
        eps: 1e-6,
        weight_decay: 0.01,
        grad_averaging: true,
        max_grad_norm: 1.0,
        trust_clip: false,
        always_adapt: false,
      },
      {
        bias_correction: boolean,
        betas,
        eps: nonNegativeNumber,
        weight_decay: nonNegativeNumber,
        grad_averaging: boolean,
        max_grad_norm: positiveNumber,
        trust_clip: boolean,
        always_adapt: boolean,
      },
    ),
  ],
  [
    ['LBFGS', 'L-BFGS needs a closure re-evaluating the loss; loopwright steps once per batch'],
    ['SparseAdam', 'sparse gradients are not supported'],
    ['Adan', 'planned'],
  ],
)

/**
 * Decode `optimizer = dict(type=…, …)`: the optimizer type and its group defaults with the config's values filled in.
 */
export const describeOptimizer = (cfg: {
  readonly [key: string]: unknown
}): E.Either<ReadonlyArray<Issue>, { readonly type: OptimizerDescription; readonly defaults: Hyper }> => {
  const typeName = cfg['type']
  if (typeof typeName !== 'string')
    return E.left([{ path: 'type', message: 'required key missing (the optimizer type, e.g. "SGD")' }])
  const resolved = Registry.resolve(optimizerDescriptions, typeName)
  if (resolved._tag === 'Left') return E.left([{ path: 'type', message: resolved.left }])
  const optimizer = resolved.right
  const { type: _type, ...args } = cfg
  const codec = struct(`${optimizer.name} arguments`, optimizer.requiresLr ? { lr } : {}, optimizer.args) as t.Type<
    Hyper,
    Hyper,
    unknown
  >
  const decoded = codec.decode(args)
  if (decoded._tag === 'Left') return E.left(issuesOf(decoded.left))
  // `lr` first, as PyTorch lists it; then the defaults, overridden by the config.
  const defaults: Hyper = {
    lr: decoded.right['lr'] ?? optimizer.defaults['lr'] ?? null,
    ...optimizer.defaults,
    ...decoded.right,
  }
  const problem = optimizer.validate?.(defaults)
  return problem === undefined ? E.right({ type: optimizer, defaults }) : E.left([{ path: '', message: problem }])
}
