/**
 * Every component the sequential replay knows, in the order they are asked
 * whether they take a `component.type`. A new one is one entry here (a hook
 * with quantities of its own: one `HookView` in the list below).
 */
import type { SequentialComponent } from '../sequential.js'
import { deepClusterHookView, odcHookView } from './clusteringHooks.js'
import { denseclHookView } from './denseclHook.js'
import { hookReplay } from './hooks.js'
import { keyQueueReplay } from './keyQueue.js'
import { odcMemoryReplay } from './odcMemory.js'
import { optimizerReplay } from './optimizer.js'
import { swavHookView } from './swavHook.js'

export const sequentialComponents: ReadonlyArray<SequentialComponent> = [
  optimizerReplay,
  hookReplay([swavHookView, denseclHookView, deepClusterHookView, odcHookView]),
  keyQueueReplay,
  odcMemoryReplay,
]
