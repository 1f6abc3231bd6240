/**
 * The hooks' `Collective` service (`SyncBuffersHook` uses it) over a
 * {@link Communicator} and the run's tensor store: the refs' values are read,
 * averaged over the workers in one flat array, and stored as new tensors.
 * @module
 */
import * as Effect from 'effect/Effect'
import { Collective } from '../../dsl/Services.js'
import type { TensorTree } from '../../dsl/State.js'
import { averaged } from '../../optim/transforms/reduceGradients.js'
import type { TensorStore } from '../tensor/TensorStore.js'
import type { Communicator } from './Communicator.js'
import { singleProcess } from './oneProcess.js'

/** The `Collective` service of `communicator`'s rank; tensors live in `store`. */
export const collectiveService = (communicator: Communicator, store: TensorStore): Collective['Service'] =>
  communicator.worldSize === 1
    ? singleProcess
    : Collective.of({
        worldSize: communicator.worldSize,
        rank: communicator.rank,
        allReduceMean: (tree: TensorTree) =>
          Effect.sync(() => {
            const floats = Object.fromEntries(Object.entries(tree).filter(([, r]) => r.dtype === 'float32'))
            // Integer buffers (BatchNorm's num_batches_tracked) agree on every worker already: kept as they are.
            const mean = averaged(store.internalize(floats) as never, communicator.allReduceMeanVia)
            return { ...tree, ...(store.externalize(mean) as TensorTree) }
          }),
      })
