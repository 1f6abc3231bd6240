/**
 * `npm run bench`: every benchmark, medians of side-by-side runs.
 */
import { backendsBench } from './backends.js'
import { optimizerBench } from './optimizer.js'
import { timelineBench } from './timeline.js'

await timelineBench()
console.log('')
await backendsBench()
console.log('')
await optimizerBench('wasm')
