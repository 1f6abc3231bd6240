import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { adam, adamw } from '../../../src/optim/optimizers/adam.js'
import type { Hyper } from '../../../src/optim/ParamGroups.js'
import * as Tree from '../../../src/tensor/tree.js'
import { selectBackend } from '../../../src/tensor/backend.js'
import { FUSED_ADAM, hasFusedAdam } from '../../../src/tensor/fusedAdam.js'

/** Run `body` with the fused kernel unregistered on `backend`, so that the optimizer takes its unfused ops. */
const unfused = async <A>(backend: string, body: () => Promise<A>): Promise<A> => {
  const kernel = tf.getKernel(FUSED_ADAM, backend)!
  tf.unregisterKernel(FUSED_ADAM, backend)
  try {
    return await body()
  } finally {
    tf.registerKernel(kernel)
  }
}

/** Three steps of `optimizer` from the same start; every parameter and moment after each step, as bits. */
const trajectory = async (make: typeof adam, hyper: Hyper, p0: number[], grads: number[][]): Promise<number[][]> => {
  const optimizer = make()
  const groups = [{ names: ['w'], hyper }]
  let params: Tree.Tree = { w: tf.tensor1d(p0) }
  let state = optimizer.init(params)
  const seen: number[][] = []
  for (const g of grads) {
    const gradTree = { w: tf.tensor1d(g) }
    const [updates, next] = optimizer.update(gradTree, state, params, groups)
    const nextParams = Tree.applyUpdates(params, updates)
    const slots = next['w']!
    for (const t of [nextParams['w']!, slots.exp_avg, slots.exp_avg_sq])
      seen.push(Array.from(new Uint32Array(((await t.data()) as Float32Array).buffer.slice(0))))
    params = nextParams
    state = next
  }
  return seen
}

const float = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e4, max: 1e4 })

describe('the fused Adam kernel equals the unfused tensor ops bit for bit', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  for (const backend of ['cpu', 'wasm'])
    it(`on ${backend}: Adam and AdamW, any weight decay, maximize, lr and betas`, async () => {
      await tf.setBackend(backend)
      expect(hasFusedAdam()).toBe(true)
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 40 }).chain((n) => {
            const values = fc.array(float, { minLength: n, maxLength: n })
            return fc.tuple(values, fc.array(values, { minLength: 3, maxLength: 3 }))
          }),
          fc.constantFrom(adam, adamw),
          fc.record({
            lr: fc.double({ min: 1e-5, max: 1, noNaN: true }),
            weight_decay: fc.constantFrom(0, 1e-2, 0.3),
            maximize: fc.boolean(),
            betas: fc.constantFrom([0.9, 0.999], [0.5, 0.9]),
            eps: fc.constantFrom(1e-8, 1e-3),
          }),
          async ([p0, grads], make, hyper) => {
            const fused = await trajectory(make, hyper, p0, grads)
            const reference = await unfused(backend, () => trajectory(make, hyper, p0, grads))
            expect(fused).toEqual(reference)
          },
        ),
        { numRuns: 60 },
      )
    })

  for (const backend of ['cpu', 'wasm'])
    it(`on ${backend}: an AdamW parameter step is one kernel, and leaks nothing`, async () => {
      await tf.setBackend(backend)
      const optimizer = adamw()
      const groups = [{ names: ['w'], hyper: { lr: 1e-3 } }]
      let params: Tree.Tree = { w: tf.ones([64, 64]) }
      let state = optimizer.init(params)
      const g = tf.ones([64, 64])
      const stepOnce = () => {
        const [updates, next] = optimizer.update({ w: g }, state, params, groups)
        const nextParams = Tree.applyUpdates(params, updates)
        tf.dispose([params['w']!, state['w']?.exp_avg, state['w']?.exp_avg_sq].filter((t) => t !== undefined))
        params = nextParams
        state = next
      }
      stepOnce()
      const before = tf.memory().numTensors
      const info = await tf.profile(() => {
        stepOnce()
        return []
      })
      expect(info.kernels.map((k) => k.name)).toEqual([FUSED_ADAM])
      expect(tf.memory().numTensors).toBe(before)
    })
})
