/**
 * An independent scalar reference of the optimizers, transcribed from
 * PyTorch 1.13's single-tensor (`_single_tensor_*`, non-foreach) code in
 * `torch/optim/*.py`, MMSelfSup's `LARS` and MMPretrain's (timm's) `Lamb`,
 * cross-checked with spec §6. It works elementwise over plain arrays of
 * float32 values and emulates float32 arithmetic:
 *
 * - every tensor operation's result is rounded with `Math.fround`;
 * - every Python scalar that meets a tensor is rounded with `Math.fround`
 *   first (ATen casts a wrapped number to the tensor's dtype);
 * - scalar-only arithmetic (bias corrections, step sizes, ρ_t, LARS's trust
 *   ratio from `.item()` norms) stays float64, as in Python.
 *
 * Fused ATen kernels are emulated as their CPU kernels evaluate them, left to
 * right in float32 (`aten/src/ATen/native/cpu/PointwiseOpsKernel.cpp`):
 * - `self.add(other, alpha=a)`      → `self + (a·other)`           (two roundings, the convention of this suite)
 * - `self.addcmul(t1, t2, value=v)` → `self + ((v·t1)·t2)`          (three roundings)
 * - `self.addcdiv(t1, t2, value=v)` → `self + ((v·t1)/t2)`          (three roundings)
 * (ATen's AVX2 `add` with alpha uses a fused multiply-add; this suite models
 * it with two roundings, which is also what the tfjs implementation can do.)
 *
 * Because tfjs's CPU backend computes each float32 op correctly rounded, an
 * implementation that performs the same operations in the same order agrees
 * with this reference bit for bit. Norms (LARS, LAMB, clipping) are sums
 * whose order differs between PyTorch, tfjs and this file: they are computed
 * here in float64 and rounded once, and tests compare them to about 1e-6
 * relative, not bit for bit.
 *
 * The reference is imperative, like PyTorch: `step` replaces the arrays in
 * `params` and mutates `state`.
 * @module
 */

export const f = Math.fround

/** A float32 tensor as an array of its values. */
export type Arr = ReadonlyArray<number>
/** A tensor, or a Python scalar (rounded to float32 where it meets a tensor). */
type Operand = Arr | number

export type HyperValue = number | boolean | ReadonlyArray<number>
export interface Hyper {
  readonly [key: string]: HyperValue
}
export interface RefGroup {
  readonly names: ReadonlyArray<string>
  readonly hyper: Hyper
}
/** One parameter's state, keyed as PyTorch's `optimizer.state[p]`. */
export interface Slots {
  [slot: string]: Arr | number
}
export interface RefState {
  /** Per-parameter state by name (PyTorch's lazy state: absent before the first step). */
  readonly param: { [name: string]: Slots }
  /** Group-level state (LAMB's `group['step']`). */
  readonly group: Array<{ step?: number }>
}
export const newState = (): RefState => ({ param: {}, group: [] })

export interface RefOptimizer {
  /** One `optimizer.step()`: `grads[name]` undefined is `p.grad is None`. `defaults` is `optimizer.defaults`. */
  readonly step: (
    params: { [name: string]: Arr },
    grads: { readonly [name: string]: Arr | undefined },
    groups: ReadonlyArray<RefGroup>,
    state: RefState,
    defaults: Hyper,
  ) => void
}

// ---------------------------------------------------------------------------
// float32 tensor operations over arrays (ATen CPU semantics)

const value = (x: Operand, i: number): number => (typeof x === 'number' ? f(x) : x[i]!)
const lengthOf = (...xs: ReadonlyArray<Operand>): number => {
  const arr = xs.find((x): x is Arr => typeof x !== 'number')
  if (arr === undefined) throw new Error('reference: an operation needs at least one tensor operand')
  return arr.length
}
const ew = (xs: ReadonlyArray<Operand>, op: (...v: number[]) => number): number[] =>
  Array.from({ length: lengthOf(...xs) }, (_, i) => f(op(...xs.map((x) => value(x, i)))))

/** `torch.add(a, b, alpha=alpha)`: `a + f32(alpha)·b`, each product and sum rounded. */
export const add = (a: Operand, b: Operand, alpha = 1): number[] => ew([a, b], (x, y) => x! + f(f(alpha) * y!))
export const sub = (a: Operand, b: Operand): number[] => ew([a, b], (x, y) => x! - y!)
export const mul = (a: Operand, b: Operand): number[] => ew([a, b], (x, y) => x! * y!)
export const div = (a: Operand, b: Operand): number[] => ew([a, b], (x, y) => x! / y!)
export const sqrt = (a: Arr): number[] => ew([a], (x) => Math.sqrt(x!))
export const abs = (a: Arr): number[] => ew([a], (x) => Math.abs(x!))
export const neg = (a: Arr): number[] => ew([a], (x) => -x!)
export const sign = (a: Arr): number[] => ew([a], (x) => (x! > 0 ? 1 : x! < 0 ? -1 : x!))
export const maximum = (a: Arr, b: Arr): number[] =>
  ew([a, b], (x, y) => (Number.isNaN(x!) || Number.isNaN(y!) ? NaN : Math.max(x!, y!)))
/** `clamp(a, min, max)` with Python-scalar bounds (cast to float32). */
export const clamp = (a: Arr, min: number, max: number): number[] =>
  ew([a], (x) => Math.min(Math.max(x!, f(min)), f(max)))
/** `self.addcmul(t1, t2, value=v)`: ATen evaluates `self + v * t1 * t2` left to right in float32. */
export const addcmul = (self: Arr, t1: Arr, t2: Arr, v = 1): number[] =>
  ew([self, t1, t2], (s, a, b) => s! + f(f(f(v) * a!) * b!))
/** `self.addcdiv(t1, t2, value=v)`: ATen evaluates `self + v * t1 / t2` left to right in float32. */
export const addcdiv = (self: Arr, t1: Arr, t2: Arr, v = 1): number[] =>
  ew([self, t1, t2], (s, a, b) => s! + f(f(f(v) * a!) / b!))
export const zeros = (n: number): number[] => new Array<number>(n).fill(0)
export const full = (n: number, x: number): number[] => new Array<number>(n).fill(f(x))

/** `torch.norm(t)` (L2) as a float32 value. The sum is taken in float64 here (tolerance, see the module doc). */
export const norm2 = (a: Arr): number => f(Math.sqrt(a.reduce((s, x) => s + x * x, 0)))
/** `t.pow(2).sum()` as a float32 value (float64 sum, rounded once). */
export const sumOfSquares = (a: Arr): number => f(a.reduce((s, x) => s + x * x, 0))

// ---------------------------------------------------------------------------
// Hyper-parameters: the reference reads them strictly (a missing key is a test bug)

const num = (h: Hyper, key: string): number => {
  const v = h[key]
  if (typeof v !== 'number') throw new Error(`reference: hyper-parameter '${key}' missing or not a number`)
  return v
}
const flag = (h: Hyper, key: string, fallback?: boolean): boolean => {
  const v = h[key] ?? fallback
  if (typeof v !== 'boolean') throw new Error(`reference: hyper-parameter '${key}' missing or not a boolean`)
  return v
}
const pairOf = (h: Hyper, key: string): readonly [number, number] => {
  const v = h[key]
  if (!Array.isArray(v) || v.length !== 2) throw new Error(`reference: hyper-parameter '${key}' is not a pair`)
  return [v[0] as number, v[1] as number]
}
const arr = (s: Slots, key: string): Arr => {
  const v = s[key]
  if (v === undefined || typeof v === 'number') throw new Error(`reference: slot '${key}' missing`)
  return v
}
const scalar = (s: Slots, key: string): number => {
  const v = s[key]
  if (typeof v !== 'number') throw new Error(`reference: slot '${key}' missing`)
  return v
}

/** PyTorch 1.13's constructor defaults (and MMSelfSup's LARS, MMPretrain's Lamb); `lr` absent where it is required. */
export const torchDefaults: { readonly [type: string]: Hyper } = {
  SGD: { momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false },
  Adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false },
  AdamW: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 1e-2, amsgrad: false, maximize: false },
  Adamax: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, maximize: false },
  NAdam: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, momentum_decay: 4e-3 },
  RAdam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0 },
  Adagrad: { lr: 1e-2, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10, maximize: false },
  Adadelta: { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0, maximize: false },
  RMSprop: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false, maximize: false },
  Rprop: { lr: 1e-2, etas: [0.5, 1.2], step_sizes: [1e-6, 50], maximize: false },
  ASGD: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weight_decay: 0, maximize: false },
  LARS: { momentum: 0, weight_decay: 0, dampening: 0, eta: 0.001, nesterov: false, eps: 1e-8 },
  Lamb: {
    lr: 1e-3,
    bias_correction: true,
    betas: [0.9, 0.999],
    eps: 1e-6,
    weight_decay: 0.01,
    grad_averaging: true,
    max_grad_norm: 1.0,
    trust_clip: false,
    always_adapt: false,
  },
}

// ---------------------------------------------------------------------------
// Per-parameter optimizers: `for group in param_groups: for p in group['params']: if p.grad is not None: …`

/** One parameter's step: returns the new parameter value; mutates `s` (empty before the first step). */
type ParamStep = (param: Arr, grad: Arr, s: Slots, h: Hyper, defaults: Hyper) => Arr

const perParameter =
  (stepOne: ParamStep): RefOptimizer['step'] =>
  (params, grads, groups, state, defaults) => {
    for (const group of groups) {
      for (const name of group.names) {
        const grad = grads[name]
        const param = params[name]
        if (grad === undefined || param === undefined) continue
        state.param[name] ??= {}
        const slots = state.param[name]
        params[name] = stepOne(param, grad, slots, group.hyper, defaults)
      }
    }
  }

/** `torch.optim.SGD`, `_single_tensor_sgd`. */
export const sgd: RefOptimizer = {
  step: perParameter((param, grad, s, h) => {
    const lr = num(h, 'lr')
    const momentum = num(h, 'momentum')
    const dampening = num(h, 'dampening')
    const weightDecay = num(h, 'weight_decay')
    let d: Arr = flag(h, 'maximize') ? neg(grad) : grad // d_p = d_p_list[i] if not maximize else -d_p_list[i]
    if (weightDecay !== 0) d = add(d, param, weightDecay) // d_p = d_p.add(param, alpha=weight_decay)
    if (momentum !== 0) {
      let buf = s['momentum_buffer'] as Arr | undefined
      if (buf === undefined)
        buf = [...d] // buf = torch.clone(d_p).detach()
      else buf = add(mul(buf, momentum), d, 1 - dampening) // buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
      s['momentum_buffer'] = buf
      d = flag(h, 'nesterov') ? add(d, buf, momentum) : buf // d_p = d_p.add(buf, alpha=momentum) / d_p = buf
    }
    return add(param, d, -lr) // param.add_(d_p, alpha=-lr)
  }),
}

/** `torch.optim.Adam` / `AdamW`, `_single_tensor_adam(w)`. */
const adamLike = (decoupled: boolean): RefOptimizer => ({
  step: perParameter((param0, grad0, s, h) => {
    const lr = num(h, 'lr')
    const [beta1, beta2] = pairOf(h, 'betas')
    const eps = num(h, 'eps')
    const weightDecay = num(h, 'weight_decay')
    const amsgrad = flag(h, 'amsgrad')
    if (s['step'] === undefined) {
      s['step'] = 0
      s['exp_avg'] = zeros(param0.length)
      s['exp_avg_sq'] = zeros(param0.length)
      if (amsgrad) s['max_exp_avg_sq'] = zeros(param0.length)
    }
    let grad: Arr = flag(h, 'maximize') ? neg(grad0) : grad0
    s['step'] = scalar(s, 'step') + 1 // step_t += 1
    let param = param0
    if (decoupled)
      param = mul(param, 1 - lr * weightDecay) // param.mul_(1 - lr * weight_decay)
    else if (weightDecay !== 0) grad = add(grad, param, weightDecay) // grad = grad.add(param, alpha=weight_decay)
    // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
    const expAvg = add(mul(arr(s, 'exp_avg'), beta1), grad, 1 - beta1)
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    const expAvgSq = addcmul(mul(arr(s, 'exp_avg_sq'), beta2), grad, grad, 1 - beta2)
    s['exp_avg'] = expAvg
    s['exp_avg_sq'] = expAvgSq
    const step = scalar(s, 'step')
    const biasCorrection1 = 1 - beta1 ** step
    const biasCorrection2 = 1 - beta2 ** step
    const stepSize = lr / biasCorrection1
    const biasCorrection2Sqrt = Math.sqrt(biasCorrection2)
    let denom: Arr
    if (amsgrad) {
      // torch.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])
      s['max_exp_avg_sq'] = maximum(arr(s, 'max_exp_avg_sq'), expAvgSq)
      // (max.sqrt() / bias_correction2_sqrt).add_(eps)
      denom = add(div(sqrt(arr(s, 'max_exp_avg_sq')), biasCorrection2Sqrt), eps)
    } else {
      // (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
      denom = add(div(sqrt(expAvgSq), biasCorrection2Sqrt), eps)
    }
    return addcdiv(param, expAvg, denom, -stepSize) // param.addcdiv_(exp_avg, denom, value=-step_size)
  }),
})
export const adam = adamLike(false)
export const adamw = adamLike(true)

/** `torch.optim.Adamax`, `_single_tensor_adamax`. */
export const adamax: RefOptimizer = {
  step: perParameter((param, grad0, s, h) => {
    const lr = num(h, 'lr')
    const [beta1, beta2] = pairOf(h, 'betas')
    const eps = num(h, 'eps')
    const weightDecay = num(h, 'weight_decay')
    if (s['step'] === undefined) {
      s['step'] = 0
      s['exp_avg'] = zeros(param.length)
      s['exp_inf'] = zeros(param.length)
    }
    let grad: Arr = flag(h, 'maximize') ? neg(grad0) : grad0
    s['step'] = scalar(s, 'step') + 1
    if (weightDecay !== 0) grad = add(grad, param, weightDecay)
    // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
    s['exp_avg'] = add(mul(arr(s, 'exp_avg'), beta1), grad, 1 - beta1)
    // norm_buf = cat([exp_inf.mul_(beta2).unsqueeze(0), grad.abs().add_(eps).unsqueeze_(0)], 0);
    // exp_inf.copy_(amax(norm_buf, 0))
    s['exp_inf'] = maximum(mul(arr(s, 'exp_inf'), beta2), add(abs(grad), eps))
    const clr = lr / (1 - beta1 ** scalar(s, 'step')) // clr = lr / bias_correction
    return addcdiv(param, arr(s, 'exp_avg'), arr(s, 'exp_inf'), -clr) // param.addcdiv_(exp_avg, exp_inf, value=-clr)
  }),
}

/** `torch.optim.NAdam`, `_single_tensor_nadam` as of 1.13 (no `maximize`; `mu_product` a float32 tensor). */
export const nadam: RefOptimizer = {
  step: perParameter((param, grad0, s, h) => {
    const lr = num(h, 'lr')
    const [beta1, beta2] = pairOf(h, 'betas')
    const eps = num(h, 'eps')
    const weightDecay = num(h, 'weight_decay')
    const momentumDecay = num(h, 'momentum_decay')
    if (s['step'] === undefined) {
      s['step'] = 0
      s['mu_product'] = 1 // torch.tensor(1.)
      s['exp_avg'] = zeros(param.length)
      s['exp_avg_sq'] = zeros(param.length)
    }
    let grad = grad0
    s['step'] = scalar(s, 'step') + 1
    const step = scalar(s, 'step')
    const biasCorrection2 = 1 - beta2 ** step
    if (weightDecay !== 0) grad = add(grad, param, weightDecay)
    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay))
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay))
    s['mu_product'] = f(scalar(s, 'mu_product') * f(mu)) // mu_product *= mu  (float32 tensor × Python float)
    const muProduct = scalar(s, 'mu_product') // mu_product.item()
    // torch 1.13: `mu_product_next = mu_product * mu * mu_next` — float32 tensor ops, with mu counted
    // twice. (torch 2.0 changed it to `_get_value(mu_product) * mu_next`, pytorch/pytorch#92699.)
    const muProductNext = f(f(muProduct * f(mu)) * f(muNext))
    const expAvg = add(mul(arr(s, 'exp_avg'), beta1), grad, 1 - beta1)
    const expAvgSq = addcmul(mul(arr(s, 'exp_avg_sq'), beta2), grad, grad, 1 - beta2)
    s['exp_avg'] = expAvg
    s['exp_avg_sq'] = expAvgSq
    const denom = add(sqrt(div(expAvgSq, biasCorrection2)), eps) // exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
    // value=-lr * (1. - mu) / (1. - mu_product.item())
    const p1 = addcdiv(param, grad, denom, (-lr * (1 - mu)) / (1 - muProduct))
    // value=-lr * mu_next / (1. - mu_product_next.item())
    return addcdiv(p1, expAvg, denom, (-lr * muNext) / (1 - muProductNext))
  }),
}

/** `torch.optim.RAdam`, `_single_tensor_radam` (1.13: `rho_t > 5`). */
export const radam: RefOptimizer = {
  step: perParameter((param, grad0, s, h) => {
    const lr = num(h, 'lr')
    const [beta1, beta2] = pairOf(h, 'betas')
    const eps = num(h, 'eps')
    const weightDecay = num(h, 'weight_decay')
    if (s['step'] === undefined) {
      s['step'] = 0
      s['exp_avg'] = zeros(param.length)
      s['exp_avg_sq'] = zeros(param.length)
    }
    let grad = grad0
    s['step'] = scalar(s, 'step') + 1
    const step = scalar(s, 'step')
    if (weightDecay !== 0) grad = add(grad, param, weightDecay)
    const expAvg = add(mul(arr(s, 'exp_avg'), beta1), grad, 1 - beta1)
    const expAvgSq = addcmul(mul(arr(s, 'exp_avg_sq'), beta2), grad, grad, 1 - beta2)
    s['exp_avg'] = expAvg
    s['exp_avg_sq'] = expAvgSq
    const biasCorrection1 = 1 - beta1 ** step
    const biasCorrection2 = 1 - beta2 ** step
    const corrected = div(expAvg, biasCorrection1) // bias_corrected_exp_avg = exp_avg / bias_correction1
    const rhoInf = 2 / (1 - beta2) - 1
    const rhoT = rhoInf - (2 * step * beta2 ** step) / biasCorrection2
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
      const expAvgSqSqrt = add(sqrt(expAvgSq), eps) // exp_avg_sq.sqrt().add_(eps)
      const adaptiveLr = div(Math.sqrt(biasCorrection2), expAvgSqSqrt) // math.sqrt(bias_correction2) / exp_avg_sq_sqrt
      // param.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
      return add(param, mul(mul(mul(corrected, lr), adaptiveLr), rect), -1)
    }
    return add(param, mul(corrected, lr), -1) // param.add_(bias_corrected_exp_avg * lr, alpha=-1.0)
  }),
}

/** ρ_t of RAdam at a step (float64, as in Python), for tests that check the transition. */
export const radamRho = (beta2: number, step: number): number =>
  2 / (1 - beta2) - 1 - (2 * step * beta2 ** step) / (1 - beta2 ** step)

/** `torch.optim.Adagrad`, `_single_tensor_adagrad`. */
export const adagrad: RefOptimizer = {
  step: perParameter((param, grad0, s, h) => {
    const lr = num(h, 'lr')
    const lrDecay = num(h, 'lr_decay')
    const eps = num(h, 'eps')
    const weightDecay = num(h, 'weight_decay')
    if (s['step'] === undefined) {
      s['step'] = 0
      s['sum'] = full(param.length, num(h, 'initial_accumulator_value')) // torch.full_like(p, init_value)
    }
    s['step'] = scalar(s, 'step') + 1
    const step = scalar(s, 'step')
    let grad: Arr = flag(h, 'maximize') ? neg(grad0) : grad0
    if (weightDecay !== 0) grad = add(grad, param, weightDecay)
    const clr = lr / (1 + (step - 1) * lrDecay)
    s['sum'] = addcmul(arr(s, 'sum'), grad, grad, 1) // state_sum.addcmul_(grad, grad, value=1)
    const std = add(sqrt(arr(s, 'sum')), eps) // state_sum.sqrt().add_(eps)
    return addcdiv(param, grad, std, -clr) // param.addcdiv_(grad, std, value=-clr)
  }),
}

/** `torch.optim.Adadelta`, `_single_tensor_adadelta`. */
export const adadelta: RefOptimizer = {
  step: perParameter((param, grad0, s, h) => {
    const lr = num(h, 'lr')
    const rho = num(h, 'rho')
    const eps = num(h, 'eps')
    const weightDecay = num(h, 'weight_decay')
    if (s['square_avg'] === undefined) {
      s['square_avg'] = zeros(param.length)
      s['acc_delta'] = zeros(param.length)
    }
    let grad: Arr = flag(h, 'maximize') ? neg(grad0) : grad0
    if (weightDecay !== 0) grad = add(grad, param, weightDecay)
    // square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
    s['square_avg'] = addcmul(mul(arr(s, 'square_avg'), rho), grad, grad, 1 - rho)
    const std = sqrt(add(arr(s, 'square_avg'), eps)) // square_avg.add(eps).sqrt_()
    // acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
    const delta = mul(div(sqrt(add(arr(s, 'acc_delta'), eps)), std), grad)
    // acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
    s['acc_delta'] = addcmul(mul(arr(s, 'acc_delta'), rho), delta, delta, 1 - rho)
    return add(param, delta, -lr) // param.add_(delta, alpha=-lr)
  }),
}

/** `torch.optim.RMSprop`, `_single_tensor_rmsprop`. */
export const rmsprop: RefOptimizer = {
  step: perParameter((param, grad0, s, h) => {
    const lr = num(h, 'lr')
    const alpha = num(h, 'alpha')
    const eps = num(h, 'eps')
    const weightDecay = num(h, 'weight_decay')
    const momentum = num(h, 'momentum')
    const centered = flag(h, 'centered')
    if (s['square_avg'] === undefined) {
      s['square_avg'] = zeros(param.length)
      if (momentum > 0) s['momentum_buffer'] = zeros(param.length)
      if (centered) s['grad_avg'] = zeros(param.length)
    }
    let grad: Arr = flag(h, 'maximize') ? neg(grad0) : grad0
    if (weightDecay !== 0) grad = add(grad, param, weightDecay)
    // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    s['square_avg'] = addcmul(mul(arr(s, 'square_avg'), alpha), grad, grad, 1 - alpha)
    let avg: Arr
    if (centered) {
      // grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha)
      s['grad_avg'] = add(mul(arr(s, 'grad_avg'), alpha), grad, 1 - alpha)
      // square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
      avg = sqrt(addcmul(arr(s, 'square_avg'), arr(s, 'grad_avg'), arr(s, 'grad_avg'), -1))
    } else avg = sqrt(arr(s, 'square_avg'))
    avg = add(avg, eps) // avg.add_(eps)
    if (momentum > 0) {
      // buf.mul_(momentum).addcdiv_(grad, avg)
      s['momentum_buffer'] = addcdiv(mul(arr(s, 'momentum_buffer'), momentum), grad, avg)
      return add(param, arr(s, 'momentum_buffer'), -lr) // param.add_(buf, alpha=-lr)
    }
    return addcdiv(param, grad, avg, -lr) // param.addcdiv_(grad, avg, value=-lr)
  }),
}

/** `torch.optim.Rprop`, `_single_tensor_rprop`. */
export const rprop: RefOptimizer = {
  step: perParameter((param, grad0, s, h) => {
    const [etaminus, etaplus] = pairOf(h, 'etas')
    const [stepSizeMin, stepSizeMax] = pairOf(h, 'step_sizes')
    if (s['step'] === undefined) {
      s['step'] = 0
      s['prev'] = zeros(param.length)
      s['step_size'] = full(param.length, num(h, 'lr')) // grad.new().resize_as_(grad).fill_(group['lr'])
    }
    s['step'] = scalar(s, 'step') + 1
    let grad: Arr = flag(h, 'maximize') ? neg(grad0) : grad0
    // sign = grad.mul(prev).sign(); sign[sign.gt(0)] = etaplus; sign[sign.lt(0)] = etaminus; sign[sign.eq(0)] = 1
    const factor = sign(mul(grad, arr(s, 'prev'))).map((x) =>
      x > 0 ? f(etaplus) : x < 0 ? f(etaminus) : x === 0 ? 1 : x,
    )
    // step_size.mul_(sign).clamp_(min, max)
    s['step_size'] = clamp(mul(arr(s, 'step_size'), factor), stepSizeMin, stepSizeMax)
    grad = grad.map((g, i) => (factor[i] === f(etaminus) ? 0 : g)) // grad = grad.clone(); grad[sign.eq(etaminus)] = 0
    s['prev'] = grad // prev.copy_(grad)
    return addcmul(param, sign(grad), arr(s, 'step_size'), -1) // param.addcmul_(grad.sign(), step_size, value=-1)
  }),
}

/** `torch.optim.ASGD`, `_single_tensor_asgd` (`eta`, `mu` float32 tensors read with `.item()`). */
export const asgd: RefOptimizer = {
  step: perParameter((param0, grad0, s, h) => {
    const lr = num(h, 'lr')
    const lambd = num(h, 'lambd')
    const alpha = num(h, 'alpha')
    const t0 = num(h, 't0')
    const weightDecay = num(h, 'weight_decay')
    if (s['step'] === undefined) {
      s['step'] = 0
      s['eta'] = f(lr) // torch.tensor(group['lr'])
      s['mu'] = 1 // torch.tensor(1.)
      s['ax'] = zeros(param0.length)
    }
    let grad: Arr = flag(h, 'maximize') ? neg(grad0) : grad0
    s['step'] = scalar(s, 'step') + 1
    const step = scalar(s, 'step')
    if (weightDecay !== 0) grad = add(grad, param0, weightDecay)
    const eta = scalar(s, 'eta')
    let param = mul(param0, 1 - lambd * eta) // param.mul_(1 - lambd * eta.item())
    param = add(param, grad, -eta) // param.add_(grad, alpha=-eta.item())
    const mu = scalar(s, 'mu')
    // ax.add_(param.sub(ax).mul(mu)) / ax.copy_(param)
    s['ax'] = mu !== 1 ? add(arr(s, 'ax'), mul(sub(param, arr(s, 'ax')), mu)) : [...param]
    // eta.copy_(torch.tensor(lr / ((1 + lambd * lr * step) ** alpha)))
    s['eta'] = f(lr / (1 + lambd * lr * step) ** alpha)
    s['mu'] = f(1 / Math.max(1, step - t0)) // mu.copy_(torch.tensor(1 / max(1, step - t0)))
    return param
  }),
}

/** MMSelfSup's `LARS.step` (spec §6.3). `eps` is an optimizer attribute (from `defaults`). */
export const lars: RefOptimizer = {
  step: perParameter((param, grad, s, h, defaults) => {
    const lr = num(h, 'lr')
    const weightDecay = num(h, 'weight_decay')
    const momentum = num(h, 'momentum')
    const dampening = num(h, 'dampening')
    const eta = num(h, 'eta')
    const eps = num(defaults, 'eps')
    let localLr = 1.0
    if (!flag(h, 'lars_exclude', false)) {
      const weightNorm = norm2(param) // torch.norm(p).item()
      const gradNorm = norm2(grad) // torch.norm(d_p).item()
      if (weightNorm !== 0 && gradNorm !== 0) localLr = (eta * weightNorm) / (gradNorm + weightDecay * weightNorm + eps)
    }
    const actualLr = localLr * lr
    let d: Arr = mul(add(grad, param, weightDecay), actualLr) // d_p = d_p.add(p, alpha=weight_decay).mul(actual_lr)
    if (momentum !== 0) {
      let buf = s['momentum_buffer'] as Arr | undefined
      if (buf === undefined)
        buf = [...d] // torch.clone(d_p).detach()
      else buf = add(mul(buf, momentum), d, 1 - dampening) // buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
      s['momentum_buffer'] = buf
      d = flag(h, 'nesterov') ? add(d, buf, momentum) : buf
    }
    return add(param, neg(d)) // p.add_(-d_p)
  }),
}

/** MMPretrain's `Lamb.step` (timm's NvLamb; spec §6.4): global clip, group-level step counter. */
export const lamb: RefOptimizer = {
  step: (params, grads, groups, state, defaults) => {
    // global_grad_norm.add_(grad.pow(2).sum()) over every param with a grad, then sqrt (float32 tensors)
    let globalSq = 0
    for (const group of groups)
      for (const name of group.names) if (grads[name] !== undefined) globalSq = f(globalSq + sumOfSquares(grads[name]!))
    const globalNorm = f(Math.sqrt(globalSq))
    const maxGradNorm = f(num(defaults, 'max_grad_norm')) // torch.tensor(self.defaults['max_grad_norm'])
    const clip = globalNorm > maxGradNorm ? f(globalNorm / maxGradNorm) : 1 // torch.where(g > max, g / max, one)
    groups.forEach((group, index) => {
      const h = group.hyper
      const [beta1, beta2] = pairOf(h, 'betas')
      const beta3 = flag(h, 'grad_averaging') ? 1 - beta1 : 1.0
      state.group[index] ??= {}
      const gs = state.group[index]
      gs.step = (gs.step ?? 0) + 1 // group['step'] += 1 — for every group, whether or not its params have grads
      const biasCorrection1 = flag(h, 'bias_correction') ? 1 - beta1 ** gs.step : 1.0
      const biasCorrection2 = flag(h, 'bias_correction') ? 1 - beta2 ** gs.step : 1.0
      const eps = num(h, 'eps')
      const weightDecay = num(h, 'weight_decay')
      const lr = num(h, 'lr')
      for (const name of group.names) {
        const g0 = grads[name]
        const p = params[name]
        if (g0 === undefined || p === undefined) continue
        const grad = div(g0, clip) // grad = p.grad.div_(clip_global_grad_norm)
        state.param[name] ??= { exp_avg: zeros(p.length), exp_avg_sq: zeros(p.length) }
        const s = state.param[name]
        s['exp_avg'] = add(mul(arr(s, 'exp_avg'), beta1), grad, beta3) // exp_avg.mul_(beta1).add_(grad, alpha=beta3)
        // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        s['exp_avg_sq'] = addcmul(mul(arr(s, 'exp_avg_sq'), beta2), grad, grad, 1 - beta2)
        // (exp_avg_sq.sqrt() / math.sqrt(bc2)).add_(eps)
        const denom = add(div(sqrt(arr(s, 'exp_avg_sq')), Math.sqrt(biasCorrection2)), eps)
        // (exp_avg / bias_correction1).div_(denom)
        let update: Arr = div(div(arr(s, 'exp_avg'), biasCorrection1), denom)
        if (weightDecay !== 0) update = add(update, p, weightDecay) // update.add_(p, alpha=weight_decay)
        if (weightDecay !== 0 || flag(h, 'always_adapt')) {
          const wNorm = norm2(p)
          const gNorm = norm2(update)
          let trustRatio = wNorm > 0 ? (gNorm > 0 ? f(wNorm / gNorm) : 1) : 1
          if (flag(h, 'trust_clip')) trustRatio = Math.min(trustRatio, 1)
          update = mul(update, trustRatio) // update.mul_(trust_ratio)
        }
        params[name] = add(p, update, -lr) // p.add_(update, alpha=-group['lr'])
      }
    })
  },
}

// ---------------------------------------------------------------------------
// Clipping and GradScaler (spec §7.3, §8)

/** `clip_grad_norm_`: the total norm (float32 value; float64 sums, see the module doc) and the clipped gradients. */
export const clipGradNorm = (
  grads: ReadonlyArray<Arr>,
  maxNorm: number,
  normType: number,
): { readonly total: number; readonly clipped: number[][] } => {
  const normOf = (a: Arr): number =>
    normType === Infinity
      ? a.reduce((m, x) => Math.max(m, Math.abs(x)), 0)
      : f(a.reduce((s, x) => s + Math.abs(x) ** normType, 0) ** (1 / normType))
  const total = normOf(grads.map(normOf)) // norm of the per-tensor norms (max for inf)
  const coef = f(f(maxNorm) / f(total + f(1e-6))) // clip_coef = max_norm / (total_norm + 1e-6)
  const clamped = Math.min(coef, 1) // torch.clamp(clip_coef, max=1.0)
  return { total, clipped: grads.map((g) => mul(g, clamped)) } // g.mul_(clip_coef_clamped), always
}

/** `clip_grad_value_`: `clamp(g, -v, v)`. */
export const clipGradValue = (grad: Arr, clipValue: number): number[] => clamp(grad, -clipValue, clipValue)

export interface ScalerParams {
  readonly growthFactor: number
  readonly backoffFactor: number
  readonly growthInterval: number
}

/**
 * `GradScaler.update()` (`_amp_update_scale_`): the scale is a float32 tensor, the tracker an int.
 * The kernel receives the factors as C++ `double`s: `float * double` is computed in double and
 * stored into the float scale (one rounding; the factor itself is not rounded to float32 first).
 */
export const scalerUpdate = (
  p: ScalerParams,
  scale: number,
  tracker: number,
  foundInf: boolean,
): { readonly scale: number; readonly tracker: number } => {
  // *current_scale = (*current_scale) * backoff_factor
  if (foundInf) return { scale: f(scale * p.backoffFactor), tracker: 0 }
  const successful = tracker + 1
  if (successful === p.growthInterval) {
    const grown = f(scale * p.growthFactor) // static_cast<float>((*current_scale) * growth_factor)
    return { scale: Number.isFinite(grown) ? grown : scale, tracker: 0 }
  }
  return { scale, tracker: successful }
}
