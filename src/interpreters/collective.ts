/**
 * The `Collective` service of a run in one process: one worker, whose mean
 * over all workers is itself.
 * @module
 */
import { Effect } from 'effect'
import { Collective } from '../dsl/Services.js'

export const singleProcess: Collective['Service'] = Collective.of({
  worldSize: 1,
  rank: 0,
  allReduceMean: (tree) => Effect.succeed(tree),
})
