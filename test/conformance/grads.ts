/**
 * `per_iter.grads_pre_clip` and `per_iter.grads`: the gradients loopwright's
 * model gives at loopwright's own parameters before each iteration, on that
 * iteration's batch, divided by the loss factor and summed over the
 * accumulation window (what `optimizer.step` sees), clipped as the config's
 * `clip_grad` says for `grads`. A wrong model, loss or batch shows here even
 * when the parameters happen to agree.
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Dataset } from '../../src/data/Dataset.js'
import * as Rng from '../../src/dsl/Rng.js'
import type { Model } from '../../src/models/Model.js'
import { firstTensorMismatch } from './compare.js'
import type { Check, PerIter, Scenario } from './scenario.js'

type Named = { readonly [name: string]: ReadonlyArray<number> }

/** Rows `start … start + size − 1` of the dataset (wrapping around), as input and target tensors. */
const rows = (data: Dataset, start: number, size: number): { readonly x: tf.Tensor; readonly y: tf.Tensor } => {
  const width = data.sampleShape.reduce((a, b) => a * b, 1)
  if (data.targets.kind !== 'values') throw new Error(`${data.name}: regression targets expected`)
  const targets = data.targets
  const out = targets.shape.reduce((a, b) => a * b, 1)
  const index = Array.from({ length: size }, (_, i) => (start + i) % data.length)
  return {
    x: tf.tensor(
      index.flatMap((r) => Array.from(data.inputs.subarray(r * width, (r + 1) * width))),
      [size, ...data.sampleShape],
      'float32',
    ),
    y: tf.tensor(
      index.flatMap((r) => Array.from(targets.values.subarray(r * out, (r + 1) * out))),
      [size, ...targets.shape],
      'float32',
    ),
  }
}

/** torch's `clip_grad_norm_` (coefficient clamped to 1) or `clip_grad_value_`, per the config's `clip_grad`. */
const clip = (
  grads: Named,
  clipGrad:
    | { readonly type?: string; readonly max_norm?: number; readonly clip_value?: number; readonly norm_type?: number }
    | undefined,
): Named => {
  if (clipGrad === undefined || clipGrad === null) return grads
  if (clipGrad.type === 'value') {
    const v = clipGrad.clip_value!
    return Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, g.map((x) => Math.min(v, Math.max(-v, x)))]))
  }
  const p = clipGrad.norm_type ?? 2
  const all = Object.values(grads).flat()
  const norm =
    p === Infinity
      ? Math.max(...all.map(Math.abs))
      : Math.fround(all.reduce((s, x) => s + Math.abs(x) ** p, 0) ** (1 / p))
  const coef = Math.min(1, Math.fround(clipGrad.max_norm! / (norm + 1e-6)))
  return Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, g.map((x) => Math.fround(x * coef))]))
}

/**
 * Check the recorded gradients of every stepping iteration against the
 * model's, at the parameters loopwright held before each iteration
 * (`before[i]`).
 */
export const checkGrads = (
  scenario: Scenario,
  model: Model,
  train: Dataset,
  perIter: ReadonlyArray<PerIter>,
  before: ReadonlyArray<{ readonly [name: string]: ArrayLike<number> }>,
  prefix: string,
): Check[] => {
  const wrapper = scenario.config['optim_wrapper'] as { readonly clip_grad?: Parameters<typeof clip>[1] }
  const loader = scenario.config['train_dataloader'] as { readonly batch_size: number }
  const epochBased = (scenario.config['train_cfg'] as { readonly max_epochs?: number }).max_epochs !== undefined
  const shapes = Object.fromEntries(Object.entries(scenario.model ?? {}).map(([n, r]) => [n, r.shape]))
  const bad: { [field: string]: string | undefined } = {}
  let window: { [name: string]: number[] } | undefined
  const rng = Rng.make(0)
  perIter.forEach((it, i) => {
    const params = before[i]
    if (params === undefined) return
    // An epoch-based loop restarts the (unshuffled) data at each epoch; an iteration-based one runs on through it.
    const start = epochBased ? it.batch_idx * loader.batch_size : (it.iter - 1) * loader.batch_size
    const size = it.batch_size ?? loader.batch_size
    const grads = tf.tidy(() => {
      const { x, y } = rows(train, start, size)
      const names = Object.keys(params)
      const factor = it.loss_factor ?? 1
      const g = tf.grads((...ts: tf.Tensor[]) => {
        const current = Object.fromEntries(names.map((n, k) => [n, ts[k]!]))
        const out = model.forward(current, {}, x, { training: true, rng })
        const losses = Object.entries(model.losses(out.output, y))
          .filter(([n]) => n.includes('loss'))
          .map(([, v]) => v)
        return tf.div(tf.addN(losses), factor) as tf.Scalar
      })(names.map((n) => tf.tensor(Array.from(params[n]!), shapes[n] as number[], 'float32')))
      return Object.fromEntries(names.map((n, k) => [n, Array.from(g[k]!.dataSync())]))
    })
    window =
      window === undefined
        ? grads
        : Object.fromEntries(
            Object.entries(window).map(([n, g]) => [n, g.map((v, k) => Math.fround(v + grads[n]![k]!))]),
          )
    const stepped = it.stepped ?? true
    if (!stepped) return
    const note = (field: 'grads_pre_clip' | 'grads', recorded: Named | undefined, ours: Named) => {
      if (recorded === undefined || bad[field] !== undefined) return
      const m = firstTensorMismatch(ours, recorded)
      if (m !== undefined)
        bad[field] =
          `iter ${it.iter}: max |Δ| ${m.diff === Infinity ? '(missing)' : m.diff.toExponential(1)} at ` +
          `${m.name}[${m.index}]`
    }
    note('grads_pre_clip', it.grads_pre_clip, window)
    note('grads', it.grads, clip(window, wrapper.clip_grad))
    window = undefined
  })
  const checks: Check[] = []
  for (const field of ['grads_pre_clip', 'grads'] as const) {
    if (!perIter.some((p) => p[field] !== undefined)) continue
    checks.push(
      bad[field] === undefined
        ? { status: 'PASS', field: `${prefix}.${field}`, detail: '' }
        : { status: 'FAIL', field: `${prefix}.${field}`, detail: bad[field]! },
    )
  }
  return checks
}
