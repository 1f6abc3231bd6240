/**
 * A run in one process: one worker, whose mean over all workers is itself.
 * @module
 */
import * as Effect from 'effect/Effect'
import { Collective } from '../../dsl/Services.js'
import { inPlace } from '../../optim/transforms/meanReducer.js'
import type { Communicator } from './Communicator.js'

/** The communicator of a run in one process: every collective is the identity. */
export const oneProcess: Communicator = {
  rank: 0,
  worldSize: 1,
  allReduceMean: () => {},
  allReduceMeanVia: inPlace(() => {}),
  broadcast: () => {},
  allGather: (values) => [values.slice()],
  barrier: () => {},
  transport: 'one process',
}

/** The hooks' `Collective` service in one process (the dry run's too). */
export const singleProcess: Collective['Service'] = Collective.of({
  worldSize: 1,
  rank: 0,
  allReduceMean: (tree) => Effect.succeed(tree),
})
