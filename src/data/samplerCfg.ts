/**
 * The `sampler` dict of a data loader (spec §1.10): `DefaultSampler`, `InfiniteSampler`, or MMSelfSup's
 * `DeepClusterSampler` (planned as a `DefaultSampler`). It lives with the
 * samplers so that data/ describes its own config and config/ only assembles the sections.
 * @module
 */
import * as t from 'io-ts'
import { boolean, dispatch, expected, int, isDict, literal, nullable, strayKeys, struct } from '../schema/codec.js'
import { suggestion } from '../schema/didYouMean.js'
import { unscoped } from '../schema/registry.js'

const defaultSampler = struct(
  'a DefaultSampler config',
  { type: literal('DefaultSampler', 'mmengine.DefaultSampler') },
  { shuffle: boolean, seed: nullable(int), round_up: boolean },
)
const infiniteSampler = struct(
  'an InfiniteSampler config',
  { type: literal('InfiniteSampler', 'mmengine.InfiniteSampler') },
  { shuffle: boolean, seed: nullable(int) },
)
// MMSelfSup's: a DefaultSampler that may re-sample uniformly over pseudo-labels (`replace`), set by DeepClusterHook.
const deepClusterSampler = struct(
  'a DeepClusterSampler config',
  { type: literal('DeepClusterSampler', 'mmselfsup.DeepClusterSampler') },
  { shuffle: boolean, seed: nullable(int), replace: boolean, round_up: boolean },
)
const isType = (name: string) => (u: unknown) =>
  isDict(u) && typeof u['type'] === 'string' && (u['type'] === name || u['type'].endsWith(`.${name}`))

const SAMPLERS = ['DefaultSampler', 'InfiniteSampler', 'DeepClusterSampler'] as const
const samplerDescription =
  'a sampler dict: DefaultSampler (shuffle, seed, round_up), InfiniteSampler ' +
  '(shuffle, seed) or DeepClusterSampler (shuffle, seed, replace, round_up)'

/**
 * A sampler dict whose `type` is missing, not a string, or not a sampler loopwright knows: the error is at
 * `sampler.type`.
 */
type DefaultSamplerCfg = t.TypeOf<typeof defaultSampler>
const unknownSampler = new t.Type<DefaultSamplerCfg, DefaultSamplerCfg, unknown>(
  'an unknown sampler',
  (_u): _u is DefaultSamplerCfg => false,
  (u, c) => {
    if (!isDict(u)) return expected(u, c, samplerDescription)
    const type = u['type']
    const at = t.appendContext(c, 'type', t.string, type)
    if (type === undefined)
      return t.failures([
        { value: undefined, context: at, message: `required key missing (the sampler type: ${SAMPLERS.join(' or ')})` },
        ...strayKeys(u, c, ['type', 'shuffle', 'seed', 'round_up']),
      ])
    if (typeof type !== 'string') return expected(type, at, `a sampler type name (${SAMPLERS.join(' or ')})`)
    return t.failure(
      type,
      at,
      `unknown sampler type '${type}'${suggestion(unscoped(type), SAMPLERS)}; known: ${SAMPLERS.join(', ')}`,
    )
  },
  t.identity,
)

/** The `sampler` entry of a data loader dict. */
export const sampler = dispatch(samplerDescription, [
  [isType('DefaultSampler'), defaultSampler],
  [isType('InfiniteSampler'), infiniteSampler],
  [isType('DeepClusterSampler'), deepClusterSampler],
  [() => true, unknownSampler],
])

/** A decoded `sampler` dict (`DefaultSampler` or `InfiniteSampler`). */
export type SamplerCfg = t.TypeOf<typeof sampler>
