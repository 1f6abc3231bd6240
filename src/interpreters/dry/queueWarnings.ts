/**
 * A trap a real run only meets at the end of its first epoch: MoCo's and
 * DenseCL's key queues take whole batches (MMSelfSup asserts
 * `queue_len % batch_size == 0`, the batch gathered over every process), so a
 * short last batch stops training after a full epoch of work. The plan names
 * the batch that fails and the fix.
 * @module
 */
import type { Program } from '../../dsl/Program.js'
import type { LoaderSize } from './sizes.js'

/** Model types whose queue length must be a multiple of every global batch, with MMSelfSup's default length. */
const queueDefaults: { readonly [type: string]: number } = { MoCo: 65536, DenseCL: 65536 }

const baseType = (type: string): string => type.slice(type.lastIndexOf('.') + 1)

/** The warnings for a model with a key queue, given the train loader's size per process and the world size. */
export const queueWarnings = (
  program: Program,
  train: LoaderSize | undefined,
  worldSize: number,
): ReadonlyArray<string> => {
  const model = program.model
  const loader = program.trainDataloader
  if (model === undefined || loader === undefined || train === undefined || program.trainLoop === undefined) return []
  const type = baseType(model.type)
  const fallback = queueDefaults[type]
  if (fallback === undefined) return []
  const length = typeof model['queue_len'] === 'number' ? model['queue_len'] : fallback
  const batch = loader['batch_size'] as number
  const global = batch * worldSize
  if (length % global !== 0)
    return [
      `model.queue_len ${length} is not a multiple of the global batch ${global} (${worldSize} × ${batch}): ` +
        `${type} stops at its first iteration (MMSelfSup asserts queue_len % batch_size == 0)`,
    ]
  const last = train.perProcess % batch
  if (loader['drop_last'] === true || last === 0 || length % (last * worldSize) === 0) return []
  if (train.batches < Math.ceil(train.perProcess / batch)) return []
  return [
    `train_dataloader: the last batch of each epoch has ${last} samples per process (${last * worldSize} in all), ` +
      `and model.queue_len ${length} is not a multiple of it: ${type} stops at iteration ${train.batches} ` +
      `(MMSelfSup asserts queue_len % batch_size == 0); set train_dataloader.drop_last=True, as MMSelfSup's ` +
      `${type} configs do`,
  ]
}
