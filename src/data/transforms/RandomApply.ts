/**
 * `RandomApply(transforms, prob=0.5)` (MMCV): with probability `prob` a sample
 * goes through all of `transforms`, else through none. The inner transforms
 * must keep the image size (they run on the whole batch; the samples not
 * chosen keep their input).
 * @module
 */
import type * as Rng from '../../dsl/Rng.js'
import { selectSamples } from './pixels.js'
import { compose, draws, transformStream, type Transform } from './Transform.js'

export const randomApply = (transforms: ReadonlyArray<Transform>, prob: number): Transform => {
  const inner = compose(transforms)
  return {
    type: 'RandomApply',
    apply: (images, streams: ReadonlyArray<Rng.Rng>) => {
      const mask = streams.map((s) => draws(s).uniform() < prob)
      if (!mask.some(Boolean)) return images.clone()
      const applied = inner(
        images,
        streams.map((s) => transformStream(s, 1)),
      )
      if (applied.shape.join() !== images.shape.join()) {
        applied.dispose()
        throw new Error(
          `RandomApply: its transforms change the image size ` +
            `([${images.shape.slice(1).join(', ')}] → ` +
            `[${applied.shape.slice(1).join(', ')}]); only size-keeping transforms may be ` +
            `applied at random`,
        )
      }
      const out = selectSamples(mask, applied, images)
      applied.dispose()
      return out
    },
  }
}
