/**
 * `withLossScaling` against PyTorch's GradScaler (spec §8): the scale and
 * growth-tracker sequence over a scripted finite/non-finite sequence,
 * skipped steps, static scales, `enabled: false`, float32 unscaling.
 */
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { GradientTransformation } from '../../../../src/optim/GradientTransformation.js'
import { sgd } from '../../../../src/optim/optimizers/sgd.js'
import {
  dynamicScaler,
  nextScale,
  scalerFromConfig,
  withLossScaling,
} from '../../../../src/optim/transforms/lossScaling.js'
import type { ScalerConfig } from '../../../../src/optim/transforms/lossScaling.js'
import * as Tree from '../../../../src/tensor/tree.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import {
  assertNoMismatch,
  disposeReplaced,
  firstBitMismatch,
  plain,
  prng,
  randomValues,
  read,
} from '../optimizers/harness.js'
import * as R from '../optimizers/reference.js'

beforeAll(async () => {
  await useCpu()
})

const hyper = { ...R.torchDefaults['SGD'], lr: 0.1, momentum: 0.9 }
const groups = [{ names: ['w', 'b'], hyper }]

const spy = () => {
  const received: Array<{ [n: string]: number[] }> = []
  const t: GradientTransformation<number> = {
    init: () => 0,
    update: (grads, calls) => {
      received.push(Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, read(g)])))
      return [Tree.map(grads, (g) => tf.neg(g)), calls + 1]
    },
  }
  return { t, received }
}

describe('withLossScaling ≡ GradScaler (dynamic)', () => {
  const config: ScalerConfig = { ...dynamicScaler, growthInterval: 3 }
  // F: finite; I: an infinity in some gradient; N: a NaN.
  const script = ['F', 'F', 'F', 'F', 'I', 'F', 'N', 'F', 'F', 'F', 'F', 'F'] as const

  it(
    'scale and growth tracker follow the scripted sequence (init 2¹⁶, ×2 every ' +
      'growth_interval finite steps, ×0.5 on a non-finite one)',
    () => {
      let expected = { scale: 2 ** 16, tracker: 0 }
      const t = withLossScaling(config)(sgd())
      const rand = prng(3)
      let params = Tree.fromArrays({
        w: { shape: [2, 3], values: randomValues(rand, 6) },
        b: { shape: [3], values: randomValues(rand, 3) },
      })
      let state = t.init(params)
      // A plain SGD run over the finite steps only: what the scaled run must equal.
      const plainSgd = sgd()
      let plainParams = Tree.fromArrays({
        w: { shape: [2, 3], values: read(params['w']!) },
        b: { shape: [3], values: read(params['b']!) },
      })
      let plainState = plainSgd.init(plainParams)
      const scales: number[] = []
      for (const [k, kind] of script.entries()) {
        expect(t.lossScale(state), `loss scale before step ${k + 1}`).toBe(expected.scale)
        scales.push(state.scale)
        const trueGrads = { w: randomValues(rand, 6), b: randomValues(rand, 3) }
        const scaled = { w: trueGrads.w.map((g) => g * state.scale), b: trueGrads.b.map((g) => g * state.scale) }
        if (kind === 'I') scaled.w[2] = Infinity
        if (kind === 'N') scaled.b[1] = NaN
        const grads = Tree.fromArrays({ w: { shape: [2, 3], values: scaled.w }, b: { shape: [3], values: scaled.b } })
        const innerBefore = plain(state.inner)
        const paramsBefore = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, read(p)]))
        const [updates, next] = t.update(grads, state, params, groups)
        const nextParams = Tree.applyUpdates(params, updates)
        expected = R.scalerUpdate(config, expected.scale, expected.tracker, kind !== 'F')
        expect(
          { scale: next.scale, tracker: next.growthTracker, foundInf: next.foundInf },
          `after step ${k + 1} (${kind})`,
        ).toEqual({ scale: expected.scale, tracker: expected.tracker, foundInf: kind !== 'F' })
        if (kind !== 'F') {
          // Skipped: no update, inner state and parameters unchanged.
          expect(Object.keys(updates)).toEqual([])
          expect(plain(next.inner)).toEqual(innerBefore)
          expect(Object.fromEntries(Object.entries(nextParams).map(([n, p]) => [n, read(p)]))).toEqual(paramsBefore)
        } else {
          const g = Tree.fromArrays({
            w: { shape: [2, 3], values: trueGrads.w },
            b: { shape: [3], values: trueGrads.b },
          })
          const [u, s] = plainSgd.update(g, plainState, plainParams, groups)
          const p = Tree.applyUpdates(plainParams, u)
          disposeReplaced([plainParams, plainState, g, u], [p, s])
          plainParams = p
          plainState = s
        }
        for (const n of ['w', 'b'])
          assertNoMismatch(
            firstBitMismatch(`param '${n}'`, read(nextParams[n]!), read(plainParams[n]!)),
            `step ${k + 1}: scaled run vs plain SGD on the finite steps`,
          )
        disposeReplaced([params, state, grads, updates], [nextParams, next])
        params = nextParams
        state = next
      }
      expect(scales).toEqual([
        2 ** 16,
        2 ** 16,
        2 ** 16,
        2 ** 17,
        2 ** 17,
        2 ** 16,
        2 ** 16,
        2 ** 15,
        2 ** 15,
        2 ** 15,
        2 ** 16,
        2 ** 16,
      ])
      expect(t.stateDict(state)).toEqual({
        scale: 2 ** 16,
        growth_factor: 2,
        backoff_factor: 0.5,
        growth_interval: 3,
        _growth_tracker: 2,
      })
      disposeReplaced([params, state, plainParams, plainState], [])
    },
  )

  it('nextScale matches the reference GradScaler.update on a long random sequence', () => {
    const rand = prng(8)
    const cfg: ScalerConfig = {
      ...dynamicScaler,
      initScale: 1024,
      growthFactor: 1.5,
      backoffFactor: 0.3,
      growthInterval: 4,
    }
    let impl = { scale: Math.fround(cfg.initScale), growthTracker: 0 }
    let ref = { scale: Math.fround(cfg.initScale), tracker: 0 }
    for (let i = 0; i < 200; i++) {
      const found = rand() < 0.15
      impl = nextScale(cfg, impl.scale, impl.growthTracker, found)
      ref = R.scalerUpdate(cfg, ref.scale, ref.tracker, found)
      expect({ scale: impl.scale, tracker: impl.growthTracker }, `update ${i + 1}`).toEqual({
        scale: ref.scale,
        tracker: ref.tracker,
      })
    }
  })

  it('growth that would overflow float32 is not applied, and the tracker still resets', () => {
    const cfg: ScalerConfig = { ...dynamicScaler, initScale: 2 ** 127, growthInterval: 1 }
    expect(nextScale(cfg, 2 ** 127, 0, false)).toEqual({ scale: 2 ** 127, growthTracker: 0 })
    expect(R.scalerUpdate(cfg, 2 ** 127, 0, false)).toEqual({ scale: 2 ** 127, tracker: 0 })
  })

  it('unscales with inv = float32(1/scale) (not a division by the scale)', () => {
    const { t, received } = spy()
    const scaled = withLossScaling({ ...dynamicScaler, initScale: 3, fixed: 3 })(t)
    const rand = prng(9)
    const values = { w: randomValues(rand, 6, 100), b: randomValues(rand, 3, 100) }
    const params = Tree.fromArrays({ w: { shape: [2, 3], values: values.w }, b: { shape: [3], values: values.b } })
    const [updates, state] = scaled.update(params, scaled.init(params), params, groups)
    const inv = Math.fround(1 / 3)
    for (const n of ['w', 'b'] as const)
      assertNoMismatch(firstBitMismatch(`unscaled '${n}'`, received[0]![n]!, R.mul(values[n], inv)))
    disposeReplaced([params, updates, state], [])
  })
})

describe('withLossScaling: static scale and disabled scaler', () => {
  it('a static scale (loss_scale=512.) is reset after every step, finite or not, and the tracker never moves', () => {
    const cfg = scalerFromConfig(512)
    expect(cfg.fixed).toBe(512)
    const { t, received } = spy()
    const scaled = withLossScaling(cfg)(t)
    const params = Tree.fromArrays({
      w: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
      b: { shape: [3], values: [0, 0, 0] },
    })
    // Start from a scale someone changed (e.g. a loaded state): the update resets it.
    let state = { ...scaled.init(params), scale: 1024 }
    for (const kind of ['F', 'I', 'F', 'N', 'F']) {
      const grads = Tree.fromArrays({
        w: { shape: [2, 3], values: [512, 0, 0, 0, 0, kind === 'I' ? Infinity : 0] },
        b: { shape: [3], values: [0, kind === 'N' ? NaN : 0, 0] },
      })
      const [updates, next] = scaled.update(grads, state, params, groups)
      expect({ scale: next.scale, tracker: next.growthTracker, foundInf: next.foundInf }).toEqual({
        scale: 512,
        tracker: 0,
        foundInf: kind !== 'F',
      })
      expect(scaled.lossScale(next)).toBe(512)
      disposeReplaced([state, grads, updates], [next, params])
      state = next
    }
    expect(received).toHaveLength(3)
    disposeReplaced([params, state], [])
  })

  it('a dict loss_scale keeps the scaler dynamic', () => {
    const cfg = scalerFromConfig({ init_scale: 256, growth_interval: 10 })
    expect(cfg).toMatchObject({
      initScale: 256,
      growthInterval: 10,
      growthFactor: 2,
      backoffFactor: 0.5,
      fixed: undefined,
      enabled: true,
    })
    expect(scalerFromConfig('dynamic')).toEqual(dynamicScaler)
    expect(dynamicScaler).toMatchObject({
      initScale: 2 ** 16,
      growthFactor: 2,
      backoffFactor: 0.5,
      growthInterval: 2000,
    })
  })

  it('enabled: false is the identity on the loss and on the gradients, and never skips', () => {
    const { t, received } = spy()
    const scaled = withLossScaling({ ...dynamicScaler, enabled: false })(t)
    const params = Tree.fromArrays({
      w: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
      b: { shape: [3], values: [0.5, 0.25, 0.125] },
    })
    const state = scaled.init(params)
    expect(scaled.lossScale(state)).toBe(1)
    expect(scaled.stateDict(state)).toEqual({})
    const grads = Tree.fromArrays({
      w: { shape: [2, 3], values: [0.1, 0.2, 0.3, Infinity, 0.5, 0.6] },
      b: { shape: [3], values: [1, 2, 3] },
    })
    const [updates, next] = scaled.update(grads, state, params, groups)
    expect(received).toEqual([{ w: read(grads['w']!), b: [1, 2, 3] }])
    expect(next.foundInf).toBe(false)
    expect(Object.keys(updates).sort()).toEqual(['b', 'w'])
    expect(scaled.lossScale(next)).toBe(1)
    disposeReplaced([state, grads, updates, params, next], [])
  })
})
