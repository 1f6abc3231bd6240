/**
 * Optimizer-step benchmark (WASM backend): one AdamW step over a 1M-parameter
 * model in 20 tensors, three ways side by side:
 *   1. loopwright's `adamw()` transformation (+ applying the updates): one fused SIMD kernel per tensor;
 *   2. the same AdamW math written directly as plain tfjs ops (the floor);
 *   3. tfjs's built-in `tf.train.adam` (mutates variables; no decoupled decay).
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { adamw } from '../src/optim/optimizers/adam.js'
import type { ParamGroups } from '../src/optim/ParamGroups.js'
import { type BackendName, selectBackend } from '../src/tensor/backend.js'
import * as Tree from '../src/tensor/tree.js'
import { measureInterleaved, report } from './harness.js'

const TENSORS = 20
// 20 tensors of 250 × 200 = 1M parameters

export const optimizerBench = async (backend: BackendName) => {
  // Through loopwright's selection, so the backend has its kernels (the fused AdamW step among them).
  await Effect.runPromise(selectBackend(backend))
  const names = Array.from({ length: TENSORS }, (_, i) => `layer${i}.weight`)
  const init = () =>
    Object.fromEntries(names.map((n, i) => [n, tf.randomNormal([250, 200], 0, 0.02, 'float32', i)])) as Tree.Tree
  const grads = Object.fromEntries(
    names.map((n, i) => [n, tf.randomNormal([250, 200], 0, 1e-3, 'float32', 100 + i)]),
  ) as Tree.Tree
  const hyper = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.05, amsgrad: false }
  const groups: ParamGroups = [{ names, hyper }]

  // 1. loopwright
  const opt = adamw()
  let params = init()
  let state = opt.init(params)
  const lwStep = async () => {
    const [updates, next] = opt.update(grads, state, params, groups)
    const nextParams = Tree.applyUpdates(params, updates)
    // Updates marked as new values became the parameters; dispose only the increments.
    for (const t of Tree.tensors(updates)) if (!Object.values(nextParams).includes(t)) t.dispose()
    for (const [n, t] of Object.entries(params)) if (nextParams[n] !== t) t.dispose()
    for (const [n, s] of Object.entries(state))
      if (s !== undefined && s !== next[n]) for (const v of Object.values(s)) if (v instanceof tf.Tensor) v.dispose()
    params = nextParams
    state = next
    await params[names[0]!]!.data() // wait for the backend
  }

  // 2. plain tfjs ops, same math
  let plain = init()
  let m = Object.fromEntries(names.map((n) => [n, tf.zerosLike(plain[n]!)]))
  let v = Object.fromEntries(names.map((n) => [n, tf.zerosLike(plain[n]!)]))
  let t = 0
  const plainStep = async () => {
    t += 1
    const bias1 = 1 - 0.9 ** t
    const bias2Sqrt = Math.sqrt(1 - 0.999 ** t)
    const next = tf.tidy(() => {
      const out: { [k: string]: { p: tf.Tensor; m: tf.Tensor; v: tf.Tensor } } = {}
      for (const n of names) {
        const g = grads[n]!
        const p = tf.mul(plain[n]!, 1 - 1e-3 * 0.05)
        const mm = tf.add(tf.mul(m[n]!, 0.9), tf.mul(g, 0.1))
        const vv = tf.add(tf.mul(v[n]!, 0.999), tf.mul(tf.mul(g, g), 0.001))
        const denom = tf.add(tf.div(tf.sqrt(vv), bias2Sqrt), 1e-8)
        out[n] = { p: tf.add(p, tf.mul(tf.div(mm, denom), -1e-3 / bias1)), m: mm, v: vv }
      }
      return out
    })
    for (const n of names) {
      plain[n]!.dispose()
      m[n]!.dispose()
      v[n]!.dispose()
    }
    plain = Object.fromEntries(names.map((n) => [n, next[n]!.p]))
    m = Object.fromEntries(names.map((n) => [n, next[n]!.m]))
    v = Object.fromEntries(names.map((n) => [n, next[n]!.v]))
    await plain[names[0]!]!.data()
  }

  // 3. tfjs built-in Adam on variables
  const variables = Object.fromEntries(Object.entries(init()).map(([n, x]) => [n, tf.variable(x, true, n)]))
  const builtin = tf.train.adam(1e-3)
  const builtinStep = async () => {
    // The typings declare NamedVariableMap; tensors are what applyGradients reads.
    builtin.applyGradients(
      Object.fromEntries(names.map((n) => [n, grads[n]!])) as unknown as Parameters<typeof builtin.applyGradients>[0],
    )
    await variables[names[0]!]!.data()
  }

  const results = await measureInterleaved(
    [
      { name: `[${backend}] loopwright adamw(): 1M params in 20 tensors`, body: lwStep },
      { name: `[${backend}] plain tfjs ops, same AdamW math`, body: plainStep },
      { name: `[${backend}] tfjs built-in tf.train.adam (no decoupled decay)`, body: builtinStep },
    ],
    41,
  )
  console.log(report(results))
  const [lw, pl, bi] = results
  console.log(
    `ratios (median): loopwright/plain = ` +
      `${(lw!.medianMs / pl!.medianMs).toFixed(2)}, loopwright/built-in = ` +
      `${(lw!.medianMs / bi!.medianMs).toFixed(2)}`,
  )
}
