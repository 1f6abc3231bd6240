/**
 * The optimizer part of the plan: which optimizer with which effective
 * hyper-parameters, how gradients are clipped and scaled, and which
 * iterations really step under gradient accumulation. Computed from the
 * config alone: no parameters are needed for this part.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Json } from '../../dsl/MessageHub.js'
import type { Issue } from '../../schema/codec.js'
import { resolveConstructor } from '../../optim/constructors/buildParamGroups.js'
import * as OW from '../../optim/WrapperSettings.js'
import type { Hyper } from '../../optim/ParamGroups.js'

export interface WrapperPlan {
  readonly name: string | undefined
  readonly type: OW.WrapperSettings['type']
  readonly optimizer: string
  /** The optimizer's hyper-parameters with PyTorch's defaults filled in. */
  readonly hyper: Hyper
  readonly clip: OW.WrapperSettings['clip']
  readonly lossScale: Json | undefined
  readonly dtype: string | undefined
  readonly accumulation: {
    readonly k: number
    /** How many optimizer steps the run takes. */
    readonly steps: number
    /** The first and last iterations (1-based) after which the optimizer steps. */
    readonly firstSteps: ReadonlyArray<number>
    readonly lastSteps: ReadonlyArray<number>
    /** The final short window, when `max_iters % k ≠ 0`: its micro-batches and their loss divisor. */
    readonly lastWindow: { readonly size: number; readonly divisor: number } | undefined
  }
}

/** Iterations (1-based) after which MMEngine's accumulation rule steps, summarised. */
const accumulationOf = (k: number, maxIters: number, counted: boolean): WrapperPlan['accumulation'] => {
  // A window closes at every multiple of k and, when counters are initialised, at the last iteration.
  const multiples = Math.floor(maxIters / k)
  const tail = counted && maxIters % k !== 0
  const steps = multiples + (tail ? 1 : 0)
  const nth = (i: number) => (i < multiples ? (i + 1) * k : maxIters)
  const show = 6
  return {
    k,
    steps,
    firstSteps: Array.from({ length: Math.min(show, steps) }, (_, i) => nth(i)),
    lastSteps:
      steps <= show
        ? []
        : Array.from({ length: Math.min(show, steps - show) }, (_, i) => nth(steps - Math.min(show, steps - show) + i)),
    lastWindow: tail && k > 1 ? { size: maxIters % k, divisor: maxIters % k } : undefined,
  }
}

/**
 * MMSelfSup's layer-decay constructor reads `model_type` and
 * `layer_decay_rate` from the optimizer cfg and removes them before the
 * optimizer is built; the plan of the wrapper does the same.
 */
const withoutConstructorOptions = (cfg: OW.WrapperConfig): OW.WrapperConfig => {
  const constructorName = (cfg as { readonly constructorName?: unknown }).constructor
  const optimizer = cfg.optimizer as { readonly [key: string]: unknown }
  if (typeof constructorName !== 'string') return cfg
  const resolved = resolveConstructor(
    constructorName,
    optimizer,
    (cfg as { readonly paramwise_cfg?: unknown }).paramwise_cfg,
    'optim_wrapper',
  )
  if (resolved._tag === 'Left' || resolved.right !== 'mmselfsup.LearningRateDecayOptimWrapperConstructor') return cfg
  const { model_type: _type, layer_decay_rate: _rate, ...rest } = optimizer
  return { ...cfg, optimizer: rest } as OW.WrapperConfig
}

const planOne = (
  name: string | undefined,
  cfg: OW.WrapperConfig,
  maxIters: number,
  counted: boolean,
): E.Either<ReadonlyArray<Issue>, WrapperPlan> => {
  const built = OW.describeWrapper(withoutConstructorOptions(cfg), [{ names: [], hyper: {} }])
  if (built._tag === 'Left')
    return E.left(
      built.left.map((i) => ({
        path: `optim_wrapper.${name === undefined ? '' : `${name}.`}${i.path}`,
        message: i.message,
      })),
    )
  const wrapper = built.right.settings
  return E.right({
    name,
    type: wrapper.type,
    optimizer: wrapper.optimizer.name,
    hyper: wrapper.defaults,
    clip: wrapper.clip,
    lossScale: wrapper.type === 'AmpOptimWrapper' ? ((cfg.loss_scale as Json | undefined) ?? 'dynamic') : undefined,
    dtype: wrapper.dtype,
    accumulation: accumulationOf(wrapper.accumulativeCounts, maxIters, counted),
  })
}

/**
 * The plan of `optim_wrapper` for a run of `maxIters` iterations. An
 * `OptimWrapperDict` (named wrappers without a top-level `optimizer`) plans
 * each wrapper; their counters are never initialised, so no final short window.
 */
export const optimizerPlan = (
  optimWrapper: { readonly [key: string]: Json } | undefined,
  maxIters: number,
): E.Either<ReadonlyArray<Issue>, ReadonlyArray<WrapperPlan>> => {
  if (optimWrapper === undefined) return E.right([])
  if (optimWrapper['optimizer'] !== undefined) {
    return E.map((p: WrapperPlan) => [p])(
      planOne(undefined, optimWrapper as unknown as OW.WrapperConfig, maxIters, true),
    )
  }
  const plans: WrapperPlan[] = []
  const issues: Issue[] = []
  for (const [name, cfg] of Object.entries(optimWrapper)) {
    if (
      name === 'constructor' ||
      name === 'paramwise_cfg' ||
      typeof cfg !== 'object' ||
      cfg === null ||
      Array.isArray(cfg)
    )
      continue
    const p = planOne(name, cfg as unknown as OW.WrapperConfig, maxIters, false)
    if (p._tag === 'Left') issues.push(...p.left)
    else plans.push(p.right)
  }
  return issues.length > 0 ? E.left(issues) : E.right(plans)
}
