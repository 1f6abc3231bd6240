/**
 * The plan's setup lines (world size, where each dataset size came from,
 * auto_scale_lr, the config's variables) and the warning when a config's
 * name says how many processes it was tuned for (`8xb32`) and the plan runs
 * another number.
 * @module
 */
import type { Program } from '../../dsl/Program.js'
import type { LoaderSize } from './sizes.js'

const count = (n: number): string => n.toLocaleString('en-US')

/** One line per fact about how the run is set up. */
export const setupLines = (
  program: Program,
  worldSize: number,
  loaders: ReadonlyArray<LoaderSize>,
  autoScaleLine: string | undefined,
  options: { readonly variables?: ReadonlyArray<string> | undefined },
): ReadonlyArray<string> => {
  const lines = [`world size: ${worldSize} process${worldSize === 1 ? '' : 'es'} (rank 0 is planned)`]
  for (const l of loaders) {
    const loader =
      l.loader === 'train'
        ? program.trainDataloader
        : l.loader === 'val'
          ? program.valDataloader
          : program.testDataloader
    const batchSize = loader?.['batch_size']
    const source =
      l.canonical === undefined
        ? 'given with --dataset-size'
        : `${l.canonical}'s canonical size; --dataset-size overrides it`
    const share = worldSize === 1 ? '' : `, ${count(l.perProcess)} per process`
    const batches = `batch ${String(batchSize)} → ${count(l.batches)} batches per epoch`
    lines.push(`${l.loader} data: ${count(l.samples)} samples (${source})${share}, ${batches}`)
  }
  if (autoScaleLine !== undefined) lines.push(autoScaleLine)
  const swav = program.hooks.find((h) => h.spec.type === 'SwAVHook')
  const swavBatch = swav?.spec.args['batch_size']
  if (typeof swavBatch === 'number') {
    lines.push(
      `SwAVHook: batch_size ${swavBatch} × world size ${worldSize} = ${swavBatch * worldSize} queue rows per iteration`,
    )
  }
  if (options.variables !== undefined && options.variables.length > 0) {
    lines.push(`config variables (not Runner keys): ${options.variables.join(', ')}`)
  }
  return lines
}

/** `8xb32`, `16xb256`: the processes × per-process batch size OpenMMLab config names state. */
const NAME_WORLD_RE = /(?:^|[_-])(\d+)xb(\d+)(?:[_-]|$)/

/** A warning when the config's name states a world size other than the planned one. */
export const worldSizeWarnings = (configName: string | undefined, worldSize: number): ReadonlyArray<string> => {
  const match = configName === undefined ? null : NAME_WORLD_RE.exec(configName)
  if (match === null) return []
  const named = Number(match[1])
  return named === worldSize
    ? []
    : [
        `the config's name says ${match[1]}xb${match[2]} (${named} processes) but the ` +
          `plan is for world size ${worldSize}; ` +
          `pass --world-size ${named} (or --launcher)`,
      ]
}
