/**
 * `npm run bench`: every benchmark, medians of side-by-side runs.
 */
import { backendsBench } from './backends.js'
import { interpreterBench } from './interpreter.js'
import { optimizerBench } from './optimizer.js'
import { timelineBench } from './timeline.js'
import { trainingBench } from './training.js'

await timelineBench()
console.log('')
await backendsBench()
console.log('')
await trainingBench(['cpu', 'wasm'], ['mlp'], 9)
// The CPU backend's conv weight gradient takes ~20 s per step at batch 64: WASM only.
await trainingBench(['wasm'], ['cnn'], 7)
console.log('')
await optimizerBench('wasm')
console.log('')
await interpreterBench(5)
