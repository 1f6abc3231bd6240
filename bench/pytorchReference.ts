/**
 * The PyTorch reference of issue 15, measured here in the same run as the
 * benchmark that quotes it: `bench/pytorch_reference.py` (PyTorch on one
 * thread, the MLP and LeNet-5 steps at batch 64) when `python3 -c 'import torch'`
 * works here (Debian's `python3-torch` with `libopenblas0-pthread`).
 */
import { execFileSync } from 'node:child_process'
import * as nodePath from 'node:path'

export interface Timing {
  readonly name: string
  readonly wallMs: number
  readonly cpuMs: number
}

/** The issue's measurement of PyTorch's MLP step, quoted when PyTorch cannot be run here. */
export const ISSUE_PYTORCH_MLP_MS = 3.0

/** PyTorch's medians over `steps` steps, or why there are none. */
export const pytorchReference = (steps = 200): { mlp: Timing; lenet: Timing } | string => {
  const script = nodePath.join(import.meta.dirname, 'pytorch_reference.py')
  // PYTHON first; then the PATH's python3; then Debian's, where `apt-get install python3-torch` puts torch.
  const pythons = [process.env['PYTHON'] ?? 'python3', '/usr/bin/python3']
  const attempt = (python: string) =>
    JSON.parse(
      execFileSync(python, [script, String(steps)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as {
      torch: string
      blas: string
      mlp: { wall_ms: number; cpu_ms: number }
      lenet: { wall_ms: number; cpu_ms: number }
    }
  try {
    let out: ReturnType<typeof attempt>
    try {
      out = attempt(pythons[0]!)
    } catch {
      out = attempt(pythons[1]!)
    }
    // The issue measured PyTorch on OpenBLAS; the reference BLAS makes its products several times slower.
    if (out.blas !== 'OpenBLAS' && out.blas !== 'MKL')
      throw new Error(`its BLAS is ${out.blas}, not OpenBLAS (apt-get install libopenblas0-pthread)`)
    const label = `PyTorch ${out.torch}, 1 thread, ${out.blas}`
    return {
      mlp: { name: `[${label}] MLP step`, wallMs: out.mlp.wall_ms, cpuMs: out.mlp.cpu_ms },
      lenet: { name: `[${label}] LeNet-5 step`, wallMs: out.lenet.wall_ms, cpuMs: out.lenet.cpu_ms },
    }
  } catch (error) {
    const why = (error as Error).message.split('\n')[0]
    return `PyTorch not measured here (${why}); the issue's reference is ${ISSUE_PYTORCH_MLP_MS} ms for the MLP step`
  }
}
