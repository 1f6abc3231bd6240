/**
 * Every component the sequential replay knows, in the order they are asked
 * whether they take a `component.type`. A new one is one entry here.
 */
import type { SequentialComponent } from '../sequential.js'
import { optimizerReplay } from './optimizer.js'

export const sequentialComponents: ReadonlyArray<SequentialComponent> = [optimizerReplay]
