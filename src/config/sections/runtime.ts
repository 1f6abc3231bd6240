/**
 * The run's environment sections: `randomness`, `env_cfg`, `auto_scale_lr`,
 * `visualizer`, `log_level`, … (spec §1.10, §14.2, §14.3).
 * @module
 */
import {
  array,
  boolean,
  dispatch,
  int,
  isDict,
  json,
  literal,
  nonEmptyString,
  nullable,
  positiveInt,
  record,
  refine,
  string,
  struct,
} from '../../schema/codec.js'
import { component } from './component.js'

const seed = refine(
  'an integer from 0 to 2**32 - 1',
  (u): u is number => Number.isInteger(u) && (u as number) >= 0 && (u as number) < 2 ** 32,
)

export const randomness = struct(
  'a randomness dict (seed, diff_rank_seed, deterministic)',
  {},
  { seed: nullable(seed), diff_rank_seed: boolean, deterministic: boolean },
)

export const envCfg = struct(
  'an env_cfg dict',
  {},
  {
    cudnn_benchmark: boolean,
    mp_cfg: struct(
      'an mp_cfg dict',
      {},
      { mp_start_method: literal('fork', 'spawn', 'forkserver'), opencv_num_threads: int },
    ),
    dist_cfg: record(json, 'a dist_cfg dict'),
    resource_limit: positiveInt,
  },
)

export const autoScaleLr = struct(
  'an auto_scale_lr dict (base_batch_size, enable)',
  { base_batch_size: positiveInt },
  { enable: boolean },
)

export const logLevel = literal('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')

export const launcher = literal('none', 'pytorch', 'slurm', 'mpi')

export const visualizer = component('a visualizer dict with a `type`')

export const visBackends = array(component('a vis backend dict with a `type`'))

/** `compile`: a flag or torch.compile options; kept for config compatibility. */
export const compileOption = dispatch('a boolean or a dict of compile options', [
  [(u) => typeof u === 'boolean', boolean],
  [isDict, record(json)],
])

export const stringList = array(string)

export const path = nonEmptyString
