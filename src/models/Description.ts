/**
 * Describing a model from its config dict without building it: the
 * parameters (names, shapes, owning modules, `requires_grad`) of the models
 * MMSelfSup's configs name, at their real size, for the dry run's param
 * groups. A describer reads only the keys that change the parameters
 * (`arch`, `depth`, `patch_size`, `num_classes`, …) and ignores the rest
 * (`drop_path_rate`, `init_cfg`, loss settings), since a description is not
 * a training run: it never allocates a tensor.
 *
 * Each describer uses the same parameter lists as the tensor code where
 * loopwright trains that part (`ResNet.backboneSpecs`, `vitSpecs`); the parts
 * it does not train yet are described only (see docs/models.md).
 *
 * @example
 * ```ts
 * const r = describeParts(backboneDescribers, { type: 'ResNet', depth: 50 }, 'backbone', 'model.backbone')
 * // Right({ params: [... 159 specs], outChannels: 2048 })
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../schema/codec.js'
import { isDict } from '../schema/codec.js'
import * as Registry from '../schema/registry.js'
import type { BackboneInfo, ParamInfo } from './ModelInfo.js'

/** A config dict as the config loader gives it. */
export type Cfg = { readonly [key: string]: unknown }

/** What a part of a model says about itself. */
export interface Description {
  readonly params: ReadonlyArray<ParamInfo>
  /** What the layer-decay constructors read from the backbone. */
  readonly backbone?: BackboneInfo
  /** The width of the features the part hands on (a backbone's channels), for the parts after it. */
  readonly outChannels?: number
}

/** What a describer may know from the parts before it. */
export interface DescribeContext {
  /** The backbone's feature width, for necks and heads whose input width has a default. */
  readonly inChannels?: number
}

/** A describer: a config `type` and how to describe a part of that type under a prefix. */
export interface Describer {
  readonly name: string
  readonly describe: (
    cfg: Cfg,
    prefix: string,
    where: string,
    ctx: DescribeContext,
  ) => E.Either<ReadonlyArray<Issue>, Description>
}

export type Describers = Registry.Registry<Describer>

/**
 * A registry of describers; `mmcls.`, `mmpretrain.` and `mmselfsup.` scopes resolve as the other registries do.
 *
 * @example
 * ```ts
 * const backbones = makeDescribers('backbone description', [resnetDescriber])
 * ```
 */
export const makeDescribers = (kind: string, describers: ReadonlyArray<Describer>): Describers =>
  Registry.make(kind, describers)

/**
 * A reader of a config dict's keys with defaults; every wrong type is kept as an issue with its path.
 *
 * @example
 * ```ts
 * const r = reader({ depth: 50 }, 'model.backbone')
 * r.number('depth', 18) // 50
 * r.issues // []
 * ```
 */
export const reader = (cfg: Cfg, where: string) => {
  const issues: Issue[] = []
  const wrong = (key: string, expected: string, value: unknown): void => {
    issues.push({ path: `${where}.${key}`, message: `expected ${expected}, got ${JSON.stringify(value)}` })
  }
  return {
    issues,
    number: (key: string, fallback: number): number => {
      const v = cfg[key]
      if (v === undefined || v === null) return fallback
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        wrong(key, 'a number', v)
        return fallback
      }
      return v
    },
    boolean: (key: string, fallback: boolean): boolean => {
      const v = cfg[key]
      if (v === undefined || v === null) return fallback
      if (typeof v !== 'boolean') {
        wrong(key, 'True or False', v)
        return fallback
      }
      return v
    },
    string: (key: string, fallback: string): string => {
      const v = cfg[key]
      if (v === undefined || v === null) return fallback
      if (typeof v !== 'string') {
        wrong(key, 'a string', v)
        return fallback
      }
      return v
    },
    numbers: (key: string, fallback: ReadonlyArray<number>): ReadonlyArray<number> => {
      const v = cfg[key]
      if (v === undefined || v === null) return fallback
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) {
        wrong(key, 'a list of numbers', v)
        return fallback
      }
      return v as ReadonlyArray<number>
    },
    /** A nested dict, or undefined when absent or None. */
    dict: (key: string): Cfg | undefined => {
      const v = cfg[key]
      if (v === undefined || v === null) return undefined
      if (!isDict(v)) {
        wrong(key, 'a dict', v)
        return undefined
      }
      return v
    },
    /** A config error of this part that is not about one key's type. */
    fail: (key: string, message: string): void => {
      issues.push({ path: key === '' ? where : `${where}.${key}`, message })
    },
    /** The description, or the issues found while reading. */
    done: (d: () => Description): E.Either<ReadonlyArray<Issue>, Description> =>
      issues.length > 0 ? E.left(issues) : E.right(d()),
  }
}

/**
 * Describe the part a `dict(type=...)` names, under `prefix`; an unknown type is an issue naming the known ones.
 *
 * @example
 * ```ts
 * describeParts(neckDescribers, { type: 'GlobalAveragePooling' }, 'neck', 'model.neck') // Right({ params: [] })
 * ```
 */
export const describeParts = (
  describers: Describers,
  cfg: unknown,
  prefix: string,
  where: string,
  ctx: DescribeContext = {},
): E.Either<ReadonlyArray<Issue>, Description> => {
  if (!isDict(cfg) || typeof cfg['type'] !== 'string')
    return E.left([{ path: where, message: 'expected a dict with a `type`' }])
  const resolved = Registry.resolve(describers, cfg['type'])
  if (resolved._tag === 'Left') return E.left([{ path: `${where}.type`, message: resolved.left }])
  return resolved.right.describe(cfg, prefix, where, ctx)
}

/** A describer for a part without parameters (pooling, losses, parameter-free heads). */
export const noParams = (name: string): Describer => ({ name, describe: () => E.right({ params: [] }) })
