/**
 * `train_dataloader`, `val_dataloader`, `test_dataloader` (spec §1.10, §14.2).
 * @module
 */
import type * as t from 'io-ts'
import {
  boolean,
  dispatch,
  json,
  literal,
  nonEmptyString,
  nonNegativeInt,
  nullable,
  positiveInt,
  struct,
} from '../../schema/codec.js'
import { sampler } from '../../data/samplerCfg.js'
import { component } from './component.js'

const collateFn = struct('a collate_fn dict', {
  type: literal('default_collate', 'pseudo_collate', 'mmengine.default_collate', 'mmengine.pseudo_collate'),
})

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
