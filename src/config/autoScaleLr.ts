/**
 * MMEngine's `auto_scale_lr` (spec §14.3): with `enable=True`, every
 * optimizer's `lr` is multiplied by `world_size · train_dataloader.batch_size
 * / base_batch_size` before anything is built, so schedulers start from the
 * scaled value. Applied to the optimizer dicts of `optim_wrapper` (each
 * wrapper of an `OptimWrapperDict`); `lr_mult`s scale with it.
 *
 * One difference from MMEngine: its logged `base_lr` stays unscaled (it
 * reads an extra group that `scale_lr` does not touch); here `base_lr` is the
 * scaled value too.
 * @module
 */
import type { Json } from '../schema/codec.js'

type Dict = { readonly [key: string]: Json }

const isDict = (u: unknown): u is Dict => typeof u === 'object' && u !== null && !Array.isArray(u)

/** The factor, when `auto_scale_lr` is enabled and complete; otherwise undefined. */
export const scaleFactor = (config: Dict, worldSize = 1): number | undefined => {
  const auto = config['auto_scale_lr']
  const batchSize = isDict(config['train_dataloader']) ? config['train_dataloader']['batch_size'] : undefined
  if (!isDict(auto) || auto['enable'] !== true || typeof batchSize !== 'number') return undefined
  if (typeof auto['base_batch_size'] !== 'number') return undefined
  return (worldSize * batchSize) / auto['base_batch_size']
}

const scaleWrapper = (wrapper: Dict, factor: number): Dict => {
  const optimizer = wrapper['optimizer']
  if (!isDict(optimizer) || typeof optimizer['lr'] !== 'number') return wrapper
  return { ...wrapper, optimizer: { ...optimizer, lr: optimizer['lr'] * factor } }
}

/**
 * The `optim_wrapper` with its learning rates scaled, or unchanged when
 * `auto_scale_lr` is not enabled.
 *
 * @example
 * ```ts
 * scaledOptimWrapper({ auto_scale_lr: { base_batch_size: 256, enable: true },
 *   train_dataloader: { batch_size: 64 }, optim_wrapper: { optimizer: { type: 'SGD', lr: 0.4 } } })
 * // { optimizer: { type: 'SGD', lr: 0.1 } }
 * ```
 */
export const scaledOptimWrapper = (config: Dict, worldSize = 1): Json | undefined => {
  const wrapper = config['optim_wrapper']
  const factor = scaleFactor(config, worldSize)
  if (!isDict(wrapper) || factor === undefined) return wrapper
  // One wrapper has an `optimizer`; an OptimWrapperDict holds named wrappers (and a `constructor` name).
  if (isDict(wrapper['optimizer'])) return scaleWrapper(wrapper, factor)
  return Object.fromEntries(Object.entries(wrapper).map(([k, v]) => [k, isDict(v) ? scaleWrapper(v, factor) : v]))
}
