/**
 * `train_dataloader`, `val_dataloader`, `test_dataloader` (spec §1.10, §14.2).
 * @module
 */
import * as t from 'io-ts'
import { boolean, dispatch, expected, int, isDict, json, literal, nonEmptyString, nonNegativeInt, nullable, positiveInt, strayKeys, struct } from '../codec.js'
import { suggestion } from '../didYouMean.js'
import { unscoped } from '../registry.js'
import { component } from './component.js'

const defaultSampler = struct('a DefaultSampler config', { type: literal('DefaultSampler', 'mmengine.DefaultSampler') }, { shuffle: boolean, seed: nullable(int), round_up: boolean })
const infiniteSampler = struct('an InfiniteSampler config', { type: literal('InfiniteSampler', 'mmengine.InfiniteSampler') }, { shuffle: boolean, seed: nullable(int) })
// MMSelfSup's: a DefaultSampler that may re-sample uniformly over pseudo-labels (`replace`), set by DeepClusterHook.
const deepClusterSampler = struct(
  'a DeepClusterSampler config',
  { type: literal('DeepClusterSampler', 'mmselfsup.DeepClusterSampler') },
  { shuffle: boolean, seed: nullable(int), replace: boolean, round_up: boolean },
)
const isType = (name: string) => (u: unknown) => isDict(u) && typeof u['type'] === 'string' && (u['type'] === name || u['type'].endsWith(`.${name}`))

const SAMPLERS = ['DefaultSampler', 'InfiniteSampler', 'DeepClusterSampler'] as const
const samplerDescription =
  'a sampler dict: DefaultSampler (shuffle, seed, round_up), InfiniteSampler (shuffle, seed) or DeepClusterSampler (shuffle, seed, replace, round_up)'

/** A sampler dict whose `type` is missing, not a string, or not a sampler loopwright knows: the error is at `sampler.type`. */
type DefaultSamplerCfg = t.TypeOf<typeof defaultSampler>
const unknownSampler = new t.Type<DefaultSamplerCfg, DefaultSamplerCfg, unknown>(
  'an unknown sampler',
  (_u): _u is DefaultSamplerCfg => false,
  (u, c) => {
    if (!isDict(u)) return expected(u, c, samplerDescription)
    const type = u['type']
    const at = t.appendContext(c, 'type', t.string, type)
    if (type === undefined) return t.failures([{ value: undefined, context: at, message: `required key missing (the sampler type: ${SAMPLERS.join(' or ')})` }, ...strayKeys(u, c, ['type', 'shuffle', 'seed', 'round_up'])])
    if (typeof type !== 'string') return expected(type, at, `a sampler type name (${SAMPLERS.join(' or ')})`)
    return t.failure(type, at, `unknown sampler type '${type}'${suggestion(unscoped(type), SAMPLERS)}; known: ${SAMPLERS.join(', ')}`)
  },
  t.identity,
)

const sampler = dispatch(samplerDescription, [
  [isType('DefaultSampler'), defaultSampler],
  [isType('InfiniteSampler'), infiniteSampler],
  [isType('DeepClusterSampler'), deepClusterSampler],
  [() => true, unknownSampler],
])

const collateFn = struct('a collate_fn dict', { type: literal('default_collate', 'pseudo_collate', 'mmengine.default_collate', 'mmengine.pseudo_collate') })

/**
 * A dataset: a component dict, or (in recorded conformance scenarios) a
 * descriptive string naming the data the scenario ships.
 */
const dataset = dispatch('a dataset dict with a `type`, or a dataset description string', [
  [(u) => typeof u === 'string', nonEmptyString],
  [() => true, component('a dataset dict with a `type`')],
])

export const dataloader = struct(
  'a data loader dict (batch_size, dataset, sampler, …)',
  { batch_size: positiveInt, dataset },
  {
    num_workers: nonNegativeInt,
    persistent_workers: boolean,
    pin_memory: boolean,
    drop_last: boolean,
    sampler,
    batch_sampler: nullable(component('a batch sampler dict with a `type`')),
    collate_fn: collateFn,
    num_batch_per_epoch: nullable(positiveInt),
    prefetch_factor: nullable(positiveInt),
    worker_init_fn: nullable(json),
  },
)

export type DataloaderCfg = t.TypeOf<typeof dataloader>
