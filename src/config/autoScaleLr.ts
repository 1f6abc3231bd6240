/**
 * MMEngine's `auto_scale_lr`: with `enable=True`, every param group's lr is
 * multiplied by (world size × `train_dataloader.batch_size`) /
 * `base_batch_size` before the schedulers are built (`Runner.scale_lr`).
 * Scaling the optimizer's base lr is the same thing: param-wise groups derive
 * their lr from it by multiplication, and schedulers start from it.
 * @module
 */
import type { Program } from '../dsl/Program.js'
import type { Json } from '../dsl/MessageHub.js'
import { isDict } from '../schema/codec.js'

/** The program with its lrs scaled, and the plan's line about it (undefined when not enabled). */
export interface Scaled {
  readonly program: Program
  readonly line: string | undefined
}

const scaleOptimizer = (wrapper: { readonly [key: string]: Json }, ratio: number): { readonly [key: string]: Json } => {
  const optimizer = wrapper['optimizer']
  if (isDict(optimizer) && typeof optimizer['lr'] === 'number') {
    return {
      ...wrapper,
      optimizer: { ...(optimizer as { readonly [key: string]: Json }), lr: optimizer['lr'] * ratio },
    }
  }
  // An OptimWrapperDict: one wrapper per sub-model.
  if (
    wrapper['type'] === 'OptimWrapperDict' ||
    Object.values(wrapper).every((w) => isDict(w) && isDict(w['optimizer']))
  ) {
    return Object.fromEntries(
      Object.entries(wrapper).map(([key, w]) => [
        key,
        isDict(w) ? scaleOptimizer(w as { readonly [key: string]: Json }, ratio) : w,
      ]),
    )
  }
  return wrapper
}

/** Apply `auto_scale_lr` (from `program.settings`) for `worldSize` processes. */
export const applyAutoScaleLr = (program: Program, worldSize: number): Scaled => {
  const cfg = program.settings['auto_scale_lr']
  const batchSize = program.trainDataloader?.['batch_size']
  if (!isDict(cfg) || cfg['enable'] !== true || typeof batchSize !== 'number' || program.optimWrapper === undefined) {
    return { program, line: undefined }
  }
  const base = cfg['base_batch_size'] as number
  const real = worldSize * batchSize
  const ratio = real / base
  const line =
    `auto_scale_lr: base_batch_size ${base}, real batch size ` + `${worldSize}×${batchSize} = ${real}: lr × ${ratio}`
  return { program: { ...program, optimWrapper: scaleOptimizer(program.optimWrapper, ratio) }, line }
}
