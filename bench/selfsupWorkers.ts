/**
 * Self-supervised pretraining on one core and on two (`loopwright train --workers N`, issue 14): each algorithm's
 * Fashion-MNIST config at one global batch (default 256: one worker at 256, two at 128 each, so an iteration does
 * the same work), interleaved round by round. Each run is stopped after `--seconds`; from its log lines
 * (`default_hooks.logger.interval=1`) it reports the median wall time per iteration after two warm-up iterations
 * (MMEngine's `time`, start-up left out), iterations per minute, and the child's CPU time per iteration (from
 * `/proc/<pid>/stat`, all its threads), with the load average, since on a shared machine the wall times say how much
 * of the cores the neighbours left. Children run under `nice -n 19`.
 *
 * `npx tsx bench/selfsupWorkers.ts [--algorithms mocov2,simsiam] [--seconds 150] [--rounds 2] [--batch 256]`
 * @module
 */
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'

const root = nodePath.join(import.meta.dirname, '..')
const argv = process.argv.slice(2)
const get = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i === -1 ? undefined : argv[i + 1]
}
const algorithms = (get('algorithms') ?? 'mocov2,simsiam').split(',')
const seconds = Number(get('seconds') ?? 150)
const rounds = Number(get('rounds') ?? 2)
const batch = Number(get('batch') ?? 256)
// Linux's clock ticks per second for /proc/<pid>/stat (USER_HZ).
const TICKS = 100

/** The CPU seconds of process `pid` so far (user + system, all threads), or undefined once it is gone. */
const cpuSeconds = (pid: number): number | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS
  } catch {
    return undefined
  }
}

interface Measured {
  readonly algorithm: string
  readonly workers: number
  readonly iterations: number
  readonly medianSeconds: number
  readonly cpuPerIteration: number
  readonly load: readonly [number, number]
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0
    ? Number.NaN
    : s.length % 2 === 1
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const measure = (algorithm: string, workers: number): Promise<Measured> =>
  new Promise((resolve) => {
    const work = fs.mkdtempSync(nodePath.join(os.tmpdir(), `ssl-workers-${algorithm}-`))
    const args = [
      '-n',
      '19',
      process.execPath,
      '--import',
      'tsx',
      'src/cli/main.ts',
      'train',
      `configs/selfsup/${algorithm}_smallcnn_fashionmnist.py`,
      '--work-dir',
      work,
      ...(workers > 1 ? ['--workers', String(workers)] : []),
      '--cfg-options',
      `train_dataloader.batch_size=${batch / workers}`,
      'default_hooks.logger.interval=1',
    ]
    const load0 = os.loadavg()[0]!
    const child = spawn('nice', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    const times: number[] = []
    const marks: Array<{ readonly iteration: number; readonly cpu: number }> = []
    let pending = ''
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        const m = /Epoch\(train\)\s+\[\d+\]\[\s*(\d+)\/\d+\].*?\btime: ([\d.]+)/.exec(line)
        if (m === null) continue
        const iteration = Number(m[1])
        if (iteration > 2) times.push(Number(m[2]))
        const cpu = cpuSeconds(child.pid!)
        if (iteration >= 2 && cpu !== undefined) marks.push({ iteration, cpu })
      }
    })
    child.stderr.on('data', () => {})
    const timer = setTimeout(() => child.kill('SIGINT'), seconds * 1000)
    child.on('close', () => {
      clearTimeout(timer)
      fs.rmSync(work, { recursive: true, force: true })
      const first = marks[0]
      const last = marks.at(-1)
      const span = first === undefined || last === undefined ? 0 : last.iteration - first.iteration
      resolve({
        algorithm,
        workers,
        iterations: times.length,
        medianSeconds: median(times),
        cpuPerIteration: span === 0 ? Number.NaN : (last!.cpu - first!.cpu) / span,
        load: [load0, os.loadavg()[0]!],
      })
    })
  })

const results: Measured[] = []
console.log(`global batch ${batch}, ${seconds} s per run, ${rounds} rounds, ${os.cpus().length} cores`)
for (let round = 0; round < rounds; round++)
  for (const algorithm of algorithms)
    for (const workers of [1, 2]) {
      const m = await measure(algorithm, workers)
      results.push(m)
      console.log(
        `round ${round + 1} ${algorithm} ×${workers}: ${m.iterations} timed iterations, median ` +
          `${m.medianSeconds.toFixed(3)} s (${(60 / m.medianSeconds).toFixed(1)} it/min), ` +
          `${m.cpuPerIteration.toFixed(3)} CPU s/it, load ${m.load[0].toFixed(1)} → ${m.load[1].toFixed(1)}`,
      )
    }
console.log('\n| algorithm | workers × batch | it/min (median over rounds) | CPU s / it | speed-up | load avg |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const algorithm of algorithms) {
  const of = (w: number) => results.filter((r) => r.algorithm === algorithm && r.workers === w)
  const perMinute = (w: number) => median(of(w).map((r) => 60 / r.medianSeconds))
  for (const w of [1, 2]) {
    const rs = of(w)
    const loads = rs.flatMap((r) => r.load)
    const speedUp = w === 1 ? '' : `×${(perMinute(2) / perMinute(1)).toFixed(2)}`
    console.log(
      `| ${algorithm} | ${w} × ${batch / w} | ${perMinute(w).toFixed(1)} | ` +
        `${median(rs.map((r) => r.cpuPerIteration)).toFixed(2)} | ${speedUp} | ` +
        `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} |`,
    )
  }
}
