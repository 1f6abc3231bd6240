/**
 * `train` as a launch asks for it: in this process, on worker threads, or as
 * one rank of an MPI job. The result is rank 0's (without its state, whose
 * tensors live in the worker that made them).
 * @module
 */
import * as Effect from 'effect/Effect'
import type { Program } from '../../dsl/Program.js'
import type { BackendChoice } from '../../tensor/backend.js'
import { train, TrainError } from '../tensor/train.js'
import type { TrainOptions } from '../tensor/train.js'
import { trainThreads } from './launchThreads.js'
import type { Launch } from './launcher.js'
import { mpiCommunicator } from './mpi.js'
import type { PortableTrainOptions, WorkerResult } from './threadJob.js'

const portable = (options: TrainOptions): PortableTrainOptions => {
  const keys = [
    'configName',
    'configText',
    'workDir',
    'resume',
    'datasets',
    'initialParams',
    'testAfterTrain',
    'timestamp',
    'writeCheckpoints',
  ] as const
  const given = keys.filter((k) => options[k] !== undefined)
  return Object.fromEntries(given.map((k) => [k, options[k]])) as PortableTrainOptions
}

/** Train `program` as `launch` says; `backend` is what each worker thread selects. */
export const trainLaunched = (
  program: Program,
  launch: Launch,
  options: TrainOptions,
  backend: BackendChoice,
): Effect.Effect<WorkerResult, TrainError> => {
  switch (launch._tag) {
    case 'OneProcess':
      return train(program, options)
    case 'Threads':
      return Effect.map(
        trainThreads(program, {
          workers: launch.workers,
          backend,
          options: portable(options),
          ...(options.print === undefined ? {} : { print: options.print }),
          ...(options.interrupt === undefined ? {} : { interrupt: options.interrupt }),
        }),
        (results) => results[0]!,
      )
    case 'Mpi': {
      const communicator = mpiCommunicator()
      if (communicator._tag === 'Left') {
        const issue = { path: 'launcher', message: `--launcher mpi: ${communicator.left}` }
        return Effect.fail(new TrainError({ issues: [issue], during: 'setup' }))
      }
      // Every rank makes the same collective calls in the same order, the interrupt poll included.
      const { afterTrainStep, ...rest } = options
      // Progress displays are rank 0's.
      const display = communicator.right.rank === 0 && afterTrainStep !== undefined ? { afterTrainStep } : {}
      const interrupt = options.interrupt ?? (() => undefined)
      return train(program, { ...rest, ...display, communicator: communicator.right, interrupt })
    }
  }
}
