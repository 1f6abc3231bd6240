/**
 * A run needs a backend. When the caller chose none (`selectBackend` was not
 * called: a script that goes straight to `train`), take what `--backend auto`
 * takes rather than fail inside TensorFlow.js with "No backend found".
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as Effect from 'effect/Effect'
import { selectBackend } from '../../tensor/backend.js'
import type { BackendError, Selected } from '../../tensor/backend.js'

/** The backend in use; `auto`'s choice when none was set up. `undefined` when one was already chosen. */
export const ensureBackend: Effect.Effect<Selected | undefined, BackendError> = Effect.suspend(() =>
  // `backendName` stays unset until a backend is initialised (`setBackend`, or a first tensor).
  (tf.engine() as { backendName?: string }).backendName === undefined
    ? selectBackend('auto')
    : Effect.succeed(undefined),
)
