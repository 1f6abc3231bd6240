/**
 * `npm run bench:selfsup`: self-supervised pretraining results, as docs/selfsup.md reports them.
 *
 * For each dataset, and each algorithm config present for it (`configs/selfsup/<algorithm>_smallcnn_<dataset>.py`,
 * so that algorithms added later join by themselves):
 *
 * 1. pretrain with `loopwright train` for a fixed wall-clock budget (`--minutes`): the run is stopped with SIGINT,
 *    which saves a resumable checkpoint at the next iteration (the config's schedule, cut where the budget ends);
 * 2. score that checkpoint with the kNN benchmark (`loopwright test configs/benchmarks/knn_smallcnn_<dataset>.py
 *    --checkpoint …`) and, unless `--probe-epochs 0`, the linear probe (`loopwright train
 *    configs/benchmarks/linear_smallcnn_<dataset>.py`, the backbone loaded through `init_cfg`, tested after training);
 * 3. score the same architecture at random init the same way (no checkpoint): the baseline, once per dataset (every
 *    algorithm draws its backbone first from the same seed, so its initial backbone is this one).
 *
 * The table is printed and written as JSON (`--out`). Options:
 *   --minutes N           pretraining budget per algorithm (default 30)
 *   --datasets a,b        fashionmnist and/or mnist (default both)
 *   --algorithms a,b      config prefixes (default: every config present)
 *   --width N             SmallCNN base_channels for every model (default 16; the configs say 32)
 *   --batch N             pretraining batch size (default: the config's, 256)
 *   --bank N              kNN bank: the first N training images (default 60000, all of them)
 *   --probe-epochs N      linear-probe epochs (default 2; 0 skips the probe)
 *   --probe-train N       linear-probe training images (default 60000)
 *   --epochs N            shorten the config's schedule to N epochs (max_epochs, and every scheduler that ran to the
 *                         end of training ends at N; a cosine's T_max follows), so that it anneals inside the budget
 *   --no-nice             run the children at normal priority (when they are the machine's measurement)
 *   --workers N           pretrain on N worker threads (`loopwright train --workers N`: data parallel, N × the batch
 *                         per iteration; default 1)
 *   --skip-baseline       reuse nothing, measure no baseline
 *   --out FILE            the JSON (default bench/results/selfsup.json)
 * Each child runs with `nice` unless `--no-nice`; the load average at the start and end of each pretraining is
 * recorded.
 * @module
 */
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import { load } from '../src/config/load.js'
import { defaultRegistries } from '../src/interpreters/registries.js'

const root = nodePath.join(import.meta.dirname, '..')

interface Options {
  readonly minutes: number
  readonly datasets: ReadonlyArray<string>
  readonly algorithms: ReadonlyArray<string> | undefined
  readonly width: number
  readonly batch: number | undefined
  readonly bank: number
  readonly probeEpochs: number
  readonly probeTrain: number
  readonly baseline: boolean
  readonly out: string
  readonly epochs: number | undefined
  readonly nice: boolean
  readonly workRoot: string
  readonly workers: number
}

const parse = (argv: ReadonlyArray<string>): Options => {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`)
    return i === -1 ? undefined : argv[i + 1]
  }
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').filter((s) => s !== ''))
  return {
    minutes: Number(get('minutes') ?? 30),
    datasets: list(get('datasets')) ?? ['fashionmnist', 'mnist'],
    algorithms: list(get('algorithms')),
    width: Number(get('width') ?? 16),
    batch: get('batch') === undefined ? undefined : Number(get('batch')),
    bank: Number(get('bank') ?? 60000),
    probeEpochs: Number(get('probe-epochs') ?? 2),
    probeTrain: Number(get('probe-train') ?? 60000),
    baseline: !argv.includes('--skip-baseline'),
    out: get('out') ?? nodePath.join(root, 'bench', 'results', 'selfsup.json'),
    epochs: get('epochs') === undefined ? undefined : Number(get('epochs')),
    nice: !argv.includes('--no-nice'),
    workRoot: get('work-root') ?? nodePath.join(os.tmpdir(), 'loopwright-bench-selfsup'),
    workers: Number(get('workers') ?? 1),
  }
}

/** The algorithm configs present for a dataset, by their prefix (`simsiam`, `swav`, …). */
export const algorithmConfigs = (dataset: string): ReadonlyArray<{ readonly name: string; readonly file: string }> =>
  fs
    .readdirSync(nodePath.join(root, 'configs', 'selfsup'))
    .filter((f) => f.endsWith(`_smallcnn_${dataset}.py`))
    .sort()
    .map((f) => ({ name: f.slice(0, -`_smallcnn_${dataset}.py`.length), file: nodePath.join('configs', 'selfsup', f) }))

interface Outcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly seconds: number
}

/** Run the CLI from source under `nice`; `stopAfter` seconds later it gets SIGINT (a clean, resumable stop). */
let niceChildren = true

const cli = (args: ReadonlyArray<string>, log: string, stopAfter?: number): Promise<Outcome> =>
  new Promise((resolve) => {
    const started = performance.now()
    const node = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args]
    const child = spawn(niceChildren ? 'nice' : node[0]!, niceChildren ? node : node.slice(1), {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    const file = fs.createWriteStream(log)
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
      file.write(c)
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
      file.write(c)
    })
    const timer = stopAfter === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), stopAfter * 1000)
    child.on('close', (code) => {
      if (timer !== undefined) clearTimeout(timer)
      file.end()
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 })
    })
  })

/**
 * `--cfg-options` narrowing a config's SmallCNN to `width` channels: the backbone, and every `in_channels` of the
 * neck and head that reads the backbone's last map (4·width channels after three stages).
 */
const narrowed = async (file: string, width: number): Promise<ReadonlyArray<string>> => {
  const loaded = await Effect.runPromise(load(nodePath.join(root, file), { registries: defaultRegistries }))
  const model = loaded.raw['model'] as { readonly [k: string]: unknown } | undefined
  const backbone = model?.['backbone'] as { readonly base_channels?: number; readonly stages?: number } | undefined
  const from = (backbone?.base_channels ?? 16) * 2 ** ((backbone?.stages ?? 2) - 1)
  const to = width * 2 ** ((backbone?.stages ?? 2) - 1)
  const options = [`model.backbone.base_channels=${width}`]
  for (const part of ['neck', 'head']) {
    const cfg = model?.[part] as { readonly in_channels?: number } | undefined
    if (cfg?.in_channels === from) options.push(`model.${part}.in_channels=${to}`)
  }
  return options
}

/**
 * `--cfg-options` shortening a config's schedule to `epochs`: `train_cfg.max_epochs`, and each `param_scheduler`
 * entry that ran to the end of training now ends at `epochs` (a cosine's `T_max` spans its new length). Entries that
 * end earlier (a one-epoch warm-up) are kept.
 */
const shortened = async (file: string, epochs: number): Promise<ReadonlyArray<string>> => {
  const loaded = await Effect.runPromise(load(nodePath.join(root, file), { registries: defaultRegistries }))
  const train = loaded.raw['train_cfg'] as { readonly max_epochs?: number } | undefined
  const last = train?.max_epochs
  if (last === undefined) throw new Error(`--epochs: ${file} has no train_cfg.max_epochs`)
  const raw = loaded.raw['param_scheduler']
  const schedulers = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as ReadonlyArray<{
    readonly type?: string
    readonly begin?: number
    readonly end?: number
  }>
  const options = [`train_cfg.max_epochs=${epochs}`]
  schedulers.forEach((s, i) => {
    if ((s.end ?? last) < last) return
    options.push(`param_scheduler.${i}.end=${epochs}`)
    if (s.type === 'CosineAnnealingLR') options.push(`param_scheduler.${i}.T_max=${epochs - (s.begin ?? 0)}`)
  })
  return options
}

/** The checkpoint a stopped or finished run left: what `work_dir/last_checkpoint` names. */
const lastCheckpoint = (workDir: string): string | undefined => {
  const pointer = nodePath.join(workDir, 'last_checkpoint')
  return fs.existsSync(pointer) ? fs.readFileSync(pointer, 'utf8').trim() : undefined
}

const lastIteration = (output: string): number | undefined => {
  const all = [...output.matchAll(/Epoch\(train\)\s+\[\d+\]\[\s*(\d+)\/(\d+)\]/g)]
  const stopped = /(?:after|Stopped by \w+ after) (\d+) iterations/.exec(output)
  if (stopped !== null) return Number(stopped[1])
  // A run that finished inside its budget says so (its last progress line may be many iterations earlier).
  const finished = /Trained (\d+) iterations/.exec(output)
  if (finished !== null) return Number(finished[1])
  return all.length === 0 ? undefined : Number(all.at(-1)![1])
}

const failed = (what: string, o: Outcome): Error =>
  new Error(`${what} failed (exit ${o.code}): ${(o.stderr.trim().split('\n').at(-1) ?? '').slice(0, 300)}`)

/** kNN top-1 (k = 20) of a checkpoint, or of the random init without one. */
const knn = async (o: Options, dataset: string, width: number, checkpoint: string | undefined, log: string) => {
  const r = await cli(
    [
      'test',
      `configs/benchmarks/knn_smallcnn_${dataset}.py`,
      '--json',
      '--work-dir',
      nodePath.join(o.workRoot, 'knn'),
      ...(checkpoint === undefined ? [] : ['--checkpoint', checkpoint]),
      '--cfg-options',
      `model.backbone.base_channels=${width}`,
      ...(o.bank < 60000
        ? [`test_dataloader.dataset.datasets.0.indices=${o.bank}`, `test_evaluator.bank_size=${o.bank}`]
        : []),
    ],
    log,
  )
  if (r.code !== 0) throw failed('kNN test', r)
  const line = r.stdout.trim().split('\n').at(-1)!
  const metrics = (JSON.parse(line) as { metrics: { [k: string]: number } }).metrics
  return { top1: metrics['knn/top1_k20']!, metrics, seconds: r.seconds }
}

/** Linear-probe top-1 on the test split: the head trained on the frozen backbone, then the test loop. */
const probe = async (o: Options, dataset: string, width: number, checkpoint: string | undefined, log: string) => {
  const work = nodePath.join(o.workRoot, `linear-${dataset}-${Date.now()}`)
  const e = o.probeEpochs
  const r = await cli(
    [
      'train',
      `configs/benchmarks/linear_smallcnn_${dataset}.py`,
      '--work-dir',
      work,
      '--cfg-options',
      `model.backbone.base_channels=${width}`,
      `model.head.in_channels=${width * 4}`,
      `model.neck.1.input_features=${width * 4}`,
      checkpoint === undefined ? 'model.init_cfg=None' : `model.init_cfg.checkpoint=${checkpoint}`,
      `train_cfg.max_epochs=${e}`,
      `train_cfg.val_interval=${e}`,
      `param_scheduler.0.T_max=${e}`,
      `param_scheduler.0.end=${e}`,
      ...(o.probeTrain < 60000 ? [`train_dataloader.dataset.indices=${o.probeTrain}`] : []),
    ],
    log,
  )
  if (r.code !== 0) throw failed('linear probe', r)
  const top1 = /^Test: accuracy\/top1: ([\d.]+)/m.exec(r.stdout)
  if (top1 === null) throw new Error(`linear probe: no test line in its output (${log})`)
  return { top1: Number(top1[1]), seconds: r.seconds }
}

export interface Row {
  readonly dataset: string
  readonly algorithm: string
  readonly backbone: string
  readonly iterations: number | undefined
  readonly epochs: number | undefined
  readonly pretrainSeconds: number
  readonly loadAverage: readonly [start: number, end: number]
  readonly knnTop1: number
  readonly linearTop1: number | undefined
  readonly baselineKnnTop1: number | undefined
  readonly baselineLinearTop1: number | undefined
  readonly collapseWarnings: number
  readonly error?: string
}

const pretrain = async (o: Options, dataset: string, algorithm: { name: string; file: string }) => {
  const work = nodePath.join(o.workRoot, `${algorithm.name}-${dataset}`)
  fs.rmSync(work, { recursive: true, force: true })
  const load0 = os.loadavg()[0]!
  const r = await cli(
    [
      'train',
      algorithm.file,
      '--work-dir',
      work,
      ...(o.workers > 1 ? ['--workers', String(o.workers)] : []),
      '--cfg-options',
      ...(await narrowed(algorithm.file, o.width)),
      ...(o.epochs === undefined ? [] : await shortened(algorithm.file, o.epochs)),
      ...(o.batch === undefined ? [] : [`train_dataloader.batch_size=${o.batch}`]),
    ],
    nodePath.join(o.workRoot, `${algorithm.name}-${dataset}.train.log`),
    o.minutes * 60,
  )
  const load1 = os.loadavg()[0]!
  // 130: stopped by the budget's SIGINT with a checkpoint; 0: the schedule ended first.
  if (r.code !== 0 && r.code !== 130) throw failed(`pretraining ${algorithm.name}`, r)
  const checkpoint = lastCheckpoint(work)
  if (checkpoint === undefined) throw new Error(`pretraining ${algorithm.name}: no checkpoint in ${work}`)
  const iterations = lastIteration(r.stdout)
  const perEpoch = /Epoch\(train\)\s+\[\d+\]\[\s*\d+\/(\d+)\]/.exec(r.stdout)
  return {
    checkpoint,
    seconds: r.seconds,
    load: [load0, load1] as const,
    iterations,
    epochs: iterations === undefined || perEpoch === null ? undefined : iterations / Number(perEpoch[1]),
    collapseWarnings: (r.stdout.match(/feature collapse at iteration/g) ?? []).length,
  }
}

const table = (rows: ReadonlyArray<Row>): string => {
  const f = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d))
  const head =
    '| dataset | algorithm | backbone | iterations (epochs) | wall | load avg | kNN top-1 (k=20) | random init kNN |' +
    ' Δ kNN | linear top-1 | random init linear |'
  const rule = `|${' --- |'.repeat(11)}`
  const lines = rows.map((r) =>
    r.error !== undefined
      ? `| ${r.dataset} | ${r.algorithm} | ${r.backbone} | failed: ${r.error} |||||||`
      : `| ${r.dataset} | ${r.algorithm} | ${r.backbone} | ${r.iterations ?? '—'} (${f(r.epochs)}) | ` +
        `${(r.pretrainSeconds / 60).toFixed(1)} min | ${f(r.loadAverage[0], 1)}–${f(r.loadAverage[1], 1)} | ` +
        `${f(r.knnTop1)} | ${f(r.baselineKnnTop1)} | ` +
        `${r.baselineKnnTop1 === undefined ? '—' : (r.knnTop1 - r.baselineKnnTop1).toFixed(2)} | ` +
        `${f(r.linearTop1)} | ${f(r.baselineLinearTop1)} |`,
  )
  return [head, rule, ...lines].join('\n')
}

export const selfsupBench = async (argv: ReadonlyArray<string>): Promise<ReadonlyArray<Row>> => {
  const o = parse(argv)
  niceChildren = o.nice
  fs.mkdirSync(o.workRoot, { recursive: true })
  const rows: Row[] = []
  const save = () => {
    fs.mkdirSync(nodePath.dirname(o.out), { recursive: true })
    const meta = { options: o, cpus: os.cpus().length, node: process.version, at: new Date().toISOString() }
    fs.writeFileSync(o.out, `${JSON.stringify({ ...meta, rows }, null, 2)}\n`)
  }
  const backbone = `SmallCNN(${o.width}-${o.width * 2}-${o.width * 4})`
  for (const dataset of o.datasets) {
    const logs = (what: string) => nodePath.join(o.workRoot, `${what}-${dataset}.log`)
    // The baseline depends only on these settings (the random init is seeded): a later run with more algorithms in
    // the same --work-root reuses it.
    const cache = nodePath.join(
      o.workRoot,
      `baseline-${dataset}-w${o.width}-bank${o.bank}-probe${o.probeEpochs}x${o.probeTrain}.json`,
    )
    const cached = fs.existsSync(cache)
      ? (JSON.parse(fs.readFileSync(cache, 'utf8')) as { knn?: { top1: number }; linear?: { top1: number } })
      : {}
    const baseKnn = o.baseline
      ? (cached.knn ?? (await knn(o, dataset, o.width, undefined, logs('knn-random'))))
      : undefined
    const baseLinear =
      o.baseline && o.probeEpochs > 0
        ? (cached.linear ?? (await probe(o, dataset, o.width, undefined, logs('linear-random'))))
        : undefined
    if (o.baseline) fs.writeFileSync(cache, `${JSON.stringify({ knn: baseKnn, linear: baseLinear })}\n`)
    console.log(
      `${dataset}: random init kNN top-1 ${baseKnn?.top1.toFixed(2) ?? '—'}, ` +
        `linear ${baseLinear?.top1.toFixed(2) ?? '—'}`,
    )
    // In the order --algorithms names them (the most informative first when time is short), else alphabetical.
    const known = algorithmConfigs(dataset)
    const present =
      o.algorithms === undefined ? known : o.algorithms.flatMap((name) => known.filter((a) => a.name === name))
    for (const algorithm of present) {
      const base = {
        dataset,
        algorithm: algorithm.name,
        backbone,
        baselineKnnTop1: baseKnn?.top1,
        baselineLinearTop1: baseLinear?.top1,
      }
      try {
        const p = await pretrain(o, dataset, algorithm)
        const k = await knn(o, dataset, o.width, p.checkpoint, logs(`knn-${algorithm.name}`))
        const l =
          o.probeEpochs > 0
            ? await probe(o, dataset, o.width, p.checkpoint, logs(`linear-${algorithm.name}`))
            : undefined
        rows.push({
          ...base,
          iterations: p.iterations,
          epochs: p.epochs,
          pretrainSeconds: p.seconds,
          loadAverage: p.load,
          knnTop1: k.top1,
          linearTop1: l?.top1,
          collapseWarnings: p.collapseWarnings,
        })
      } catch (e) {
        rows.push({
          ...base,
          iterations: undefined,
          epochs: undefined,
          pretrainSeconds: 0,
          loadAverage: [Number.NaN, Number.NaN],
          knnTop1: Number.NaN,
          linearTop1: undefined,
          collapseWarnings: 0,
          error: e instanceof Error ? e.message : String(e),
        })
      }
      console.log(table(rows.slice(-1)))
      save()
    }
  }
  save()
  console.log(`\n${table(rows)}\n\nwritten: ${o.out}`)
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) await selfsupBench(process.argv.slice(2))
