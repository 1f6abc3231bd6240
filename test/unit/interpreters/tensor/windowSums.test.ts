import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import type { TensorTree } from '../../../../src/dsl/State.js'
import { trainThreads } from '../../../../src/interpreters/collective/launchThreads.js'
import * as Checkpoint from '../../../../src/interpreters/tensor/checkpoint.js'
import { TensorStore } from '../../../../src/interpreters/tensor/TensorStore.js'
import { continueWindow, openSums } from '../../../../src/interpreters/tensor/windowSums.js'
import type { RankSums } from '../../../../src/interpreters/tensor/windowSums.js'
import * as Safetensors from '../../../../src/tensor/safetensors.js'
import { finalState } from '../../../support/killResume.js'
import { programOf, regressionData, run, tempDir } from './support.js'

// Windows of 3 and checkpoints every 4 iterations: iter_4 and iter_8 fall inside a window (after 1 and 2 of its 3
// micro-batches). The sampler shuffles, so the two ranks' partial sums differ.
const config = {
  model: { type: 'TinyRegressor' },
  train_dataloader: {
    batch_size: 4,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 14 },
  optim_wrapper: { accumulative_counts: 3, optimizer: { type: 'Adam', lr: 0.01 } },
  param_scheduler: [],
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 4 },
    checkpoint: { type: 'CheckpointHook', interval: 4, by_epoch: false },
  },
  log_processor: { by_epoch: false },
  randomness: { seed: 11 },
}
const datasets = { train: regressionData(48, 3) }

const threads = (workers: number, workDir: string, resume?: string, lines: string[] = []) =>
  Effect.runPromise(
    trainThreads(programOf(config), {
      workers,
      options: { datasets, workDir, timestamp: 'run', ...(resume === undefined ? {} : { resume }) },
      print: (_, m) => lines.push(m),
    }),
  )

const fileOf = (file: string): Safetensors.Decoded => {
  const decoded = Safetensors.decode(new Uint8Array(fs.readFileSync(file)))
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return decoded.right
}
const tensorNames = (file: string): ReadonlyArray<string> => Object.keys(fileOf(file).tensors)

const loadedFrom = (file: string, store: TensorStore): Checkpoint.Loaded => {
  const loaded = Checkpoint.decode(new Uint8Array(fs.readFileSync(file)), file, store)
  if (loaded._tag === 'Left') throw new Error(loaded.left.message)
  return loaded.right
}

/** Slot 0's open sum of a state, as plain arrays by name. */
const valuesOf = (tree: TensorTree | undefined, store: TensorStore): { [name: string]: number[] } =>
  Object.fromEntries(Object.entries(tree ?? {}).map(([name, ref]) => [name, Array.from(store.get(ref).dataSync())]))
const rankValues = (rank: RankSums): { [name: string]: number[] } =>
  Object.fromEntries(Object.entries(rank[0] ?? {}).map(([name, { values }]) => [name, Array.from(values)]))

let twoWorkers: string
let oneWorker: string
beforeAll(async () => {
  twoWorkers = tempDir()
  await threads(2, twoWorkers)
  oneWorker = tempDir()
  await run(programOf(config), { datasets, workDir: oneWorker })
}, 120_000)

describe("a checkpoint inside an accumulation window keeps every rank's partial sum", () => {
  it('two workers resumed from a mid-window checkpoint end bit-identical to the run that never stopped', async () => {
    const names = tensorNames(nodePath.join(twoWorkers, 'iter_8.safetensors'))
    expect(names.filter((n) => n.startsWith('optimizer/rank1/0/')).length).toBeGreaterThan(0)
    // A checkpoint at a window's end (iteration 12 closes the fourth) holds no sums, so nothing per rank.
    expect(tensorNames(nodePath.join(twoWorkers, 'iter_12.safetensors')).some((n) => n.includes('/rank'))).toBe(false)

    const resumed = tempDir()
    const lines: string[] = []
    await threads(2, resumed, nodePath.join(twoWorkers, 'iter_8.safetensors'), lines)
    expect(lines).toContain('resumed epoch: 0, iter: 8')
    expect(lines.filter((l) => l.includes('accumulation window'))).toEqual([])
    expect(finalState(nodePath.join(resumed, 'iter_14.safetensors'))).toEqual(
      finalState(nodePath.join(twoWorkers, 'iter_14.safetensors')),
    )
  }, 120_000)

  it("rank r continues from its own sum; another world size from the saved sums' mean, and says so", () => {
    const store = new TensorStore()
    const file = nodePath.join(twoWorkers, 'iter_8.safetensors')
    const loaded = loadedFrom(file, store)
    const saved = loaded.windowSums!
    expect(saved.worldSize).toBe(2)
    const [rank0, rank1] = saved.ranks.map(rankValues)
    expect(Object.keys(rank0!).length).toBeGreaterThan(0)
    expect(rank1).not.toEqual(rank0)
    // What a reader that knows nothing of ranks resumes with: rank 0's sum, where the state names it.
    expect(valuesOf(openSums(loaded.state)[0], store)).toEqual(rank0)

    const second = continueWindow(loaded.state, saved, store, { rank: 1, worldSize: 2 }, file)
    expect(second.message).toBeUndefined()
    expect(valuesOf(openSums(second.state)[0], store)).toEqual(rank1)

    const alone = continueWindow(loaded.state, saved, store, { rank: 0, worldSize: 1 }, file)
    const mean = Object.fromEntries(
      Object.entries(rank0!).map(([n, a]) => [n, a.map((x, i) => Math.fround((x + rank1![n]![i]!) / 2))]),
    )
    expect(valuesOf(openSums(alone.state)[0], store)).toEqual(mean)
    expect(alone.message).toBe(
      `resume: ${file} was saved inside an accumulation window by 2 workers, this run has 1: each worker continues ` +
        'the window from the mean of the 2 saved sums (MMEngine does not save gradients at all; this run is not ' +
        'bit-identical to one that never stopped)',
    )
    store.clear()
  })

  it("one worker's mid-window checkpoint on two workers: each continues from its one sum, and says so", async () => {
    const file = nodePath.join(oneWorker, 'iter_8.safetensors')
    expect(tensorNames(file).some((n) => n.includes('/rank'))).toBe(false)
    const store = new TensorStore()
    const loaded = loadedFrom(file, store)
    expect(loaded.windowSums).toBeUndefined()
    const sum = valuesOf(openSums(loaded.state)[0], store)
    const rank1 = continueWindow(loaded.state, undefined, store, { rank: 1, worldSize: 2 }, file)
    expect(valuesOf(openSums(rank1.state)[0], store)).toEqual(sum)
    store.clear()

    const lines: string[] = []
    const [resumed] = await threads(2, tempDir(), file, lines)
    expect(resumed!.iterations).toBe(14)
    expect(lines).toContain(
      `resume: ${file} was saved inside an accumulation window with one gradient sum (one worker, or a loopwright ` +
        "that saved only rank 0's); each of the 2 workers continues the window from it (MMEngine does not save " +
        'gradients at all; this run is not bit-identical to one that never stopped)',
    )
  }, 120_000)

  it('a file whose per-rank sums disagree with its state is refused as malformed, naming the key', () => {
    const file = nodePath.join(twoWorkers, 'iter_8.safetensors')
    const { tensors, metadata } = fileOf(file)
    const state = JSON.parse(metadata['state']!) as { windowSums: { worldSize: number } }
    state.windowSums.worldSize = 3
    const stateText = JSON.stringify(state)
    const bytes = Safetensors.encode(tensors, {
      ...metadata,
      state: stateText,
      checksum: Checkpoint.checksumOf(metadata['meta']!, stateText, tensors),
    })
    const store = new TensorStore()
    const before = tf.memory().numTensors
    const loaded = Checkpoint.decode(bytes, file, store)
    expect(loaded).toEqual({
      _tag: 'Left',
      left: {
        path: file,
        message:
          "the checkpoint's state is malformed ('windowSums' must list the sums of every one of at least 2 ranks)",
      },
    })
    // The tensors decoded before the problem showed are disposed.
    expect(tf.memory().numTensors).toBe(before)
  })

  it('a published weights file leaves the sums out, as every optimizer tensor', () => {
    const file = nodePath.join(twoWorkers, 'iter_8.safetensors')
    const published = Checkpoint.publish(new Uint8Array(fs.readFileSync(file)), file, ['meta', 'state_dict'])
    if (published._tag === 'Left') throw new Error(published.left.message)
    const decoded = Safetensors.decode(published.right)
    if (decoded._tag === 'Left') throw new Error(decoded.left.message)
    expect(Object.keys(decoded.right.tensors).some((n) => n.startsWith('optimizer/'))).toBe(false)
    expect(Object.keys(decoded.right.tensors).length).toBeGreaterThan(0)
  })
})
