/**
 * `npm run bench`: every benchmark, medians of side-by-side runs.
 */
import { backendsBench } from './backends.js'
import { dispatchesBench } from './dispatches.js'
import { distributedBench } from './distributed.js'
import { interpreterBench } from './interpreter.js'
import { optimizerBench } from './optimizer.js'
import { planBench } from './plan.js'
import { speedBench } from './speed.js'
import { sslStepBench } from './sslstep.js'
import { timelineBench } from './timeline.js'
import { trainingBench } from './training.js'

await timelineBench()
console.log('')
await planBench()
console.log('')
await backendsBench()
console.log('')
// The CPU backend's conv weight gradient takes several seconds per LeNet step at batch 64: not measured there.
await trainingBench(['cpu', 'wasm-stock', 'wasm'], 5, ['cpu:LeNet-5'])
console.log('')
await optimizerBench('wasm')
console.log('')
await interpreterBench(5)
console.log('')
// The single-core table of docs/performance.md (with PyTorch when python3-torch is installed).
await speedBench(3)
console.log('')
// The convolutional self-supervised steps (SmallCNN SimSiam and MoCo v2 at batch 256; ResNet-18 runs in speedBench).
await sslStepBench(3, { skipResnet: true })
console.log('')
await distributedBench(3)
console.log('')
// WebGPU programs per training step (one line where the optional WebGPU packages are not installed).
await dispatchesBench()
