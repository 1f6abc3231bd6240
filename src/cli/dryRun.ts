/**
 * `loopwright dry-run CONFIG`: load the config, run the dry-run interpreter
 * and print the plan (text or `--json`), optionally drawing the lr schedule
 * to an SVG file (`--plot`).
 * @module
 */
import * as fs from 'node:fs/promises'
import * as nodePath from 'node:path'
import * as Effect from 'effect/Effect'
import { formatIssue } from '../schema/codec.js'
import { ConfigError } from '../config/Config.js'
import { load } from '../config/load.js'
import { toProgram } from '../config/toProgram.js'
import { dryRun } from '../interpreters/dry/dryRun.js'
import { defaultRegistries } from '../interpreters/registries.js'
import { svg } from '../interpreters/dry/lrSchedule.js'
import { parseSizes } from './args.js'
import { planOptions } from './planOptions.js'
import { EXIT_BAD_INPUT } from './exitCodes.js'
import { planJson, renderPlan } from './renderPlan.js'

/** Run the command; resolves to the exit code (0, or 2 for bad input). */
export const dryRunCommand = (file: string, flags: ReadonlyMap<string, ReadonlyArray<string>>): Effect.Effect<number> =>
  Effect.gen(function* () {
    let sizes = {}
    const sizeFlag = flags.get('dataset-size')
    if (sizeFlag !== undefined) {
      const parsed = parseSizes(sizeFlag.at(-1)!)
      if (parsed._tag === 'Left') {
        process.stderr.write(`${parsed.left}\n`)
        return EXIT_BAD_INPUT
      }
      sizes = parsed.right
    }
    const options = planOptions(flags)
    if (options._tag === 'Left') {
      process.stderr.write(`${options.left}\n`)
      return EXIT_BAD_INPUT
    }
    const loaded = yield* load(file, {
      cfgOptions: flags.get('cfg-options') ?? [],
      packages: options.right.packages,
      registries: defaultRegistries,
    })
    const program = toProgram(loaded.config)
    const plan = yield* dryRun(program, {
      datasetSizes: sizes,
      configName: nodePath.basename(file, nodePath.extname(file)),
      configText: JSON.stringify(loaded.raw, null, 2),
      configWarnings: loaded.warnings,
      worldSize: options.right.worldSize,
      variables: loaded.variables,
      // The trace entries are printed only with --json --trace: otherwise none is kept, and the iterations that
      // would have filled them are fast-forwarded too (the plan is the same; its counts cover every entry).
      ...(flags.has('trace') ? {} : { traceLimit: 0 }),
    })
    const plotFile = flags.get('plot')?.at(-1)
    let plotted: string | undefined
    if (plotFile !== undefined) {
      if (plan.schedule === undefined) {
        process.stderr.write(
          '--plot: this config has no schedule to plot ' +
            '(one optimizer wrapper, a train loop and param_scheduler are needed)\n',
        )
        return EXIT_BAD_INPUT
      }
      const schedule = plan.schedule
      yield* Effect.tryPromise({
        try: () => fs.writeFile(plotFile, svg(schedule)),
        catch: (e) =>
          new ConfigError({
            file: plotFile,
            issues: [{ path: '', message: `cannot write the plot: ${(e as Error).message}` }],
          }),
      })
      const what = schedule.momentum === undefined ? 'lr' : 'lr and momentum'
      const span = `${schedule.iterations} iterations (${schedule.lr.length} points)`
      plotted = `Wrote the ${what} schedule over ${span} to ${plotFile}`
    }
    const json = flags.has('json') ? planJson(plan, file, flags.has('trace')) : undefined
    if (json !== undefined) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
    else process.stdout.write(`${renderPlan(plan, file)}\n`)
    // After the plan, on stderr when stdout carries JSON, so that the JSON stays one document.
    if (plotted !== undefined) (flags.has('json') ? process.stderr : process.stdout).write(`${plotted}\n`)
    return 0
  }).pipe(
    Effect.catchTags({
      ConfigError: (e) =>
        Effect.sync(() => {
          process.stderr.write(`${e.message}\n`)
          return EXIT_BAD_INPUT
        }),
      DryRunError: (e) =>
        Effect.sync(() => {
          process.stderr.write(`${e.issues.map((i) => `${file}: ${formatIssue(i)}`).join('\n')}\n`)
          return EXIT_BAD_INPUT
        }),
    }),
  )
