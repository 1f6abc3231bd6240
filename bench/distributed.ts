/**
 * Data parallel on this machine (issue 15): the time of one training step
 * of the MLP 784-256-256-10 and of LeNet-5 (Adam, batch 64 per worker, WASM)
 * on one worker thread and on two, and, where the MPI addon is built, two
 * `mpirun` processes against two threads (built first where `mpicc` is), each
 * round running all three in turn.
 *
 * A step's time is the median wall time from one train step's end to the
 * next one's inside the workers (rank 0), after the model's warm-up steps
 * (`runLength`): start-up and the first steps, while V8 still compiles on the
 * cores the workers need, are left out. Each configuration runs ROUNDS times,
 * interleaved with the others; the median over rounds is reported.
 *
 * Throughput speed-up of W workers = W × t(1) / t(W) (each worker takes a
 * batch of 64 per step). Against PyTorch: its one-thread MLP step at batch 64,
 * measured in the same run when PyTorch is installed (else the issue's
 * 3.0 ms); two workers process 64 samples in t(2) / 2.
 *
 * Beside each model, in the same rounds, the machine's ceiling for steps of
 * that length (`bench/ceiling.ts`): two threads doing equal arithmetic and
 * nothing else through the same barrier. On a shared machine the measured
 * speed-up is best read against it.
 *
 * For the MLP, also how each kind of its step's work scales alone (`bench/kernelScaling.ts`): the
 * step cannot scale better than the mix of them does.
 *
 * And the model's own ceiling (`bench/exchangeFree.ts`): two threads each
 * running the one-worker step, meeting at the barrier every step, nothing
 * averaged. It pays the machine's step-to-step variation as the data-parallel
 * run does (a step waits for the slower worker), so the data-parallel step
 * over it is what the gradient exchange itself costs.
 *
 * Also the process's CPU time per step (all workers together). It counts the
 * time a waiting worker spins at the barrier (up to `SPIN_MS`, as MPI spins),
 * so with two workers it is near twice the step time: it is not a measure of
 * the work alone.
 */
import { spawnSync } from 'node:child_process'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import * as Mnist from '../src/data/mnist.js'
import { trainThreads } from '../src/interpreters/collective/launchThreads.js'
import { loadBinding } from '../src/interpreters/collective/mpi.js'
import { calibrate, ceilingStep } from './ceiling.js'
import { exchangeFreeStep } from './exchangeFree.js'
import { kernelScaling } from './kernelScaling.js'
import { benchProgram, models, runLength, steadyStep } from './distributedCases.js'
import type { ModelName } from './distributedCases.js'
import { ISSUE_PYTORCH_MLP_MS, pytorchReference } from './pytorchReference.js'

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const distributedBench = async (
  rounds: number,
  names: ReadonlyArray<ModelName> = Object.keys(models) as ModelName[],
) => {
  const dataset = await Effect.runPromise(Mnist.load({ split: 'train', indices: 12800 }))
  const threadStep = async (model: ModelName, workers: number): Promise<{ wall: number; cpu: number }> => {
    const [rank0] = await Effect.runPromise(
      trainThreads(benchProgram(model, runLength[model].iters), {
        workers,
        timeSteps: true,
        options: {
          datasets: { train: dataset },
          writeCheckpoints: false,
          workDir: 'work_dirs/bench-threads',
          timestamp: 'bench',
        },
        print: () => {},
      }),
    )
    return { wall: steadyStep(model, rank0!.stepMs!), cpu: steadyStep(model, rank0!.stepCpuMs!) }
  }
  const load = `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores`
  console.log(
    `Data parallel, WASM, Adam, batch 64 per worker; median step after the warm-up ` +
      `(${names.map((m) => `${m}: ${runLength[m].warmup} of ${runLength[m].iters} steps`).join(', ')}), ` +
      `median of ${rounds} rounds; ${load}`,
  )
  const mpi = mpiAvailable()
  const mpiRows: string[] = []
  for (const model of names) {
    const times: { [workers: number]: number[] } = { 1: [], 2: [] }
    const cpu: { [workers: number]: number[] } = { 1: [], 2: [] }
    const viaMpi: number[] = []
    let mpiFailure: string | undefined
    const { stepMs } = runLength[model]
    const units = await Effect.runPromise(calibrate(stepMs))
    const ceiling: { [workers: number]: number[] } = { 1: [], 2: [] }
    const ceilingSteps = Math.round(2000 / stepMs)
    const exchangeFree: number[] = []
    const kernels = new Map<string, number[]>()
    // One round: one worker, two threads, two MPI processes, so that a noisy neighbour slows all three alike.
    for (let r = 0; r < rounds; r++) {
      for (const workers of [1, 2]) {
        const measured = await threadStep(model, workers)
        times[workers]!.push(measured.wall)
        cpu[workers]!.push(measured.cpu)
      }
      for (const workers of [1, 2])
        ceiling[workers]!.push(await Effect.runPromise(ceilingStep(workers, units, ceilingSteps)))
      exchangeFree.push(await Effect.runPromise(exchangeFreeStep(model, 2, dataset)))
      if (model.startsWith('MLP'))
        for (const [kind, ratio] of await kernelScaling(1)) kernels.set(kind, [...(kernels.get(kind) ?? []), ratio])
      if (mpi === undefined && mpiFailure === undefined) {
        const ran = mpiRound(model)
        if (typeof ran === 'string') mpiFailure = ran
        else viaMpi.push(ran)
      }
    }
    const step = (w: number) => median(times[w]!)
    const cpuStep = (w: number) => median(cpu[w]!)
    if (mpiFailure !== undefined) mpiRows.push(`MPI ${model}: failed: ${mpiFailure}`)
    else if (viaMpi.length > 0) {
      const ms = (x: number) => `${x.toFixed(2).padStart(7)} ms/step`
      const [m, t] = [median(viaMpi), step(2)]
      mpiRows.push(
        `${model.padEnd(20)} 2 MPI processes ${ms(m)}   2 threads ${ms(t)}   MPI/threads ×${(m / t).toFixed(2)}; ` +
          `throughput against 1 worker ×${((2 * step(1)) / m).toFixed(2)}`,
      )
    }
    const speedup = (2 * step(1)) / step(2)
    const ms = (x: number) => `${x.toFixed(2).padStart(7)} ms/step`
    const name = model.padEnd(20)
    console.log(`${name} 1 worker ${ms(step(1))}   2 workers ${ms(step(2))}   throughput ×${speedup.toFixed(2)}`)
    const ceilingSpeedup = (2 * median(ceiling[1]!)) / median(ceiling[2]!)
    console.log(
      `${''.padEnd(20)} the machine's ceiling now: ×${ceilingSpeedup.toFixed(2)} for two threads doing equal ` +
        `${stepMs}-ms steps of pure arithmetic through the same barrier (bench/ceiling.ts, same rounds); ` +
        `the model's speed-up over it: ${(speedup / ceilingSpeedup).toFixed(2)}`,
    )
    const free = median(exchangeFree)
    console.log(
      `${''.padEnd(20)} without the exchange (2 threads, each its own one-worker step, a barrier per step; ` +
        `bench/exchangeFree.ts): ${ms(free)}, ×${((2 * step(1)) / free).toFixed(2)}; the exchange costs ` +
        `${(step(2) - free).toFixed(2)} ms a step`,
    )
    if (kernels.size > 0)
      console.log(
        `${''.padEnd(20)} the step's kinds of work alone, two threads against one (bench/kernelScaling.ts, same ` +
          `rounds): ${[...kernels].map(([kind, ratios]) => `${kind} ×${median(ratios).toFixed(2)}`).join('; ')}`,
      )
    console.log(
      `${''.padEnd(20)} process CPU per step: 1 worker ${ms(cpuStep(1))}, 2 workers ${ms(cpuStep(2))} ` +
        '(spinning at the barrier included)',
    )
    if (model.startsWith('MLP')) {
      const per64 = step(2) / 2
      const torch = pytorchReference()
      const reference = typeof torch === 'string' ? ISSUE_PYTORCH_MLP_MS : torch.mlp.wallMs
      const source = typeof torch === 'string' ? "the issue's measurement" : 'measured now'
      console.log(
        `${''.padEnd(20)} 64 samples on 2 workers: ${per64.toFixed(2)} ms; PyTorch one thread (${source}): ` +
          `${reference.toFixed(2)} ms; PyTorch time / loopwright time ×${(reference / per64).toFixed(2)}` +
          (typeof torch === 'string'
            ? ''
            : `; against the issue's 3.0 ms ×${(ISSUE_PYTORCH_MLP_MS / per64).toFixed(2)}`),
      )
    }
  }
  if (mpi !== undefined) console.log(`MPI: not measured (${mpi})`)
  for (const line of mpiRows) console.log(line)
}

/** Why MPI cannot be measured here, or undefined. The addon is built first where Open MPI's compiler is. */
const mpiAvailable = (): string | undefined => {
  if (spawnSync('mpirun', ['--version']).status !== 0) return 'mpirun is not installed'
  const addon = nodePath.join(import.meta.dirname, '../packages/loopwright-mpi')
  if (loadBinding()._tag === 'Left' && spawnSync('mpicc', ['--showme:version']).status === 0)
    spawnSync(process.execPath, [nodePath.join(addon, 'build.mjs')], { cwd: addon, stdio: 'ignore' })
  const binding = loadBinding()
  return binding._tag === 'Left' ? binding.left : undefined
}

/** One `mpirun -np 2` run of `model`: rank 0's steady step time, or why it failed. */
const mpiRound = (model: ModelName): number | string => {
  const root = process.getuid?.() === 0 ? { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' } : {}
  const script = nodePath.join(import.meta.dirname, 'mpiStep.ts')
  const args = ['-np', '2', '--oversubscribe', process.execPath, '--import', 'tsx', script, model, '1']
  const ran = spawnSync('mpirun', args, { encoding: 'utf8', env: { ...process.env, ...root } })
  if (ran.status !== 0) return ran.stderr.split('\n')[0] ?? `exit ${ran.status}`
  return (JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as { steps: number[] }).steps[0]!
}

if (import.meta.url === `file://${process.argv[1]}`) await distributedBench(Number(process.argv[2] ?? 3))
