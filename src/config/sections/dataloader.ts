/**
 * `train_dataloader`, `val_dataloader`, `test_dataloader` (spec §1.10, §14.2).
 * @module
 */
import type * as t from 'io-ts'
import { boolean, dispatch, int, isDict, json, literal, nonEmptyString, nonNegativeInt, nullable, positiveInt, struct } from '../codec.js'
import { component } from './component.js'

const defaultSampler = struct('a DefaultSampler config', { type: literal('DefaultSampler', 'mmengine.DefaultSampler') }, { shuffle: boolean, seed: nullable(int), round_up: boolean })
const infiniteSampler = struct('an InfiniteSampler config', { type: literal('InfiniteSampler', 'mmengine.InfiniteSampler') }, { shuffle: boolean, seed: nullable(int) })
const isType = (name: string) => (u: unknown) => isDict(u) && typeof u['type'] === 'string' && (u['type'] === name || u['type'].endsWith(`.${name}`))

const sampler = dispatch('a sampler dict: DefaultSampler (shuffle, seed, round_up) or InfiniteSampler (shuffle, seed)', [
  [isType('DefaultSampler'), defaultSampler],
  [isType('InfiniteSampler'), infiniteSampler],
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
