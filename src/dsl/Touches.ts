/**
 * What a hook reads and writes at each stage, declared by its type, and the
 * ordering hazards a plan can see from the declarations alone: two hooks
 * touching one field at one stage whose order rests only on registration
 * (equal priority), and a hook reading a field that a later hook of the same
 * stage writes.
 *
 * ## Fields
 *
 * A field is a dotted name for a part of the run `State` (or for an effect a
 * hook has through a service). Every name maps onto one path of the state, so
 * a declaration can be checked against what a hook really does
 * (`touchedFields.ts` reads the fields of a state; the contract suite in
 * `test/properties/touches.property.test.ts` runs every registered hook type).
 *
 * | field | state path |
 * | --- | --- |
 * | `counters` | `counters` (the runner's; no hook writes it) |
 * | `seed`, `rng` | `seed`, `rng` |
 * | `data.sampler.epoch` | `data.samplerEpoch` (what `DistSamplerSeedHook` sets) |
 * | `data.<key>` | any other `data[key]` (the data cursor) |
 * | `model.params`, `model.buffers`, `model.training` | `model.params`, `model.buffers`, `model.training` |
 * | `model.<attr>` | `model.attributes[attr]`: `model.loss_lambda`, `model.head.loss.queue_length`, … |
 * | `optim.<hyper>` | that hyper-parameter of every param group: `optim.lr`, `optim.momentum`, `optim.fix_lr`, … |
 * | `optim.schedulers` | the schedulers' state |
 * | `optim.tensors` | the tensor state: optimizer slots, accumulation, loss scaler |
 * | `optim.groups` | the groups' parameter names |
 * | `messageHub.scalars.<key>` | one scalar history (`messageHub.scalars.train/lr`) |
 * | `messageHub.info.<key>` | one runtime-info entry (`messageHub.info.last_ckpt`) |
 * | `outputs`, `metrics`, `lastBatch`, `stop` | `outputs`, `metrics`, `lastBatch`, `stopTraining` |
 * | `own` | the hook's own state, `hooks[its key]` (an EMA's average, a timer's clock reading) |
 * | `hooks.<key>` | another hook's own state |
 *
 * Effects, which are not in the state: `log` (the `Logger`), `files` (the
 * `Files` service: logs, `vis_data/`, `last_checkpoint`), `checkpoint.files`
 * (`Checkpoints.save` / `publish`), `backend.cache` (`TensorOps.releaseMemory`).
 *
 * A name covers every field below it: `messageHub.scalars` covers
 * `messageHub.scalars.train/lr`, `model` covers the whole model. A trailing
 * `*` covers every field that starts with what precedes it
 * (`messageHub.scalars.train/*`); `*` alone is the whole state (not the effects).
 *
 * What a hook learns from its event, the counters (the event's coordinates),
 * its own state and the services' inputs (`Run` facts, the clock, the world
 * size) needs no declaration: no hook can change them under another hook.
 * @module
 */
import { all as allStages } from './Stage.js'
import type { Stage } from './Stage.js'

/** A part of the run state or an effect, by the dotted names of the table above. */
export type Field = string

/** What a hook reads and writes at one stage. */
export interface StageTouches {
  readonly reads: ReadonlyArray<Field>
  readonly writes: ReadonlyArray<Field>
}

/** A hook type's declaration, per stage. */
export type Touches = { readonly [S in Stage]?: StageTouches }

/** The effects: written through services, read by no hook. */
export const effects: ReadonlyArray<Field> = ['log', 'files', 'checkpoint.files', 'backend.cache']

/** Fields with no part below them. */
const leaves: ReadonlyArray<Field> = [
  'counters',
  'seed',
  'rng',
  'model.params',
  'model.buffers',
  'model.training',
  'optim.schedulers',
  'optim.tensors',
  'optim.groups',
  'outputs',
  'metrics',
  'lastBatch',
  'stop',
  'own',
]

/** Names that stand for a family of fields (`model` for every `model.*`). */
const families: ReadonlyArray<Field> = [
  'data',
  'model',
  'optim',
  'messageHub',
  'messageHub.scalars',
  'messageHub.info',
  'hooks',
]

/** Families whose members are named by the user's keys (`model.loss_lambda`, `hooks.ema`). */
const keyed: ReadonlyArray<string> = ['data.', 'model.', 'optim.', 'messageHub.scalars.', 'messageHub.info.', 'hooks.']

/**
 * Why `field` is not a field name, or `undefined` when it is one.
 *
 * @example
 * ```ts
 * fieldProblem('optim.lr') // undefined
 * fieldProblem('queue')    // "'queue' is not a field: …"
 * ```
 */
export const fieldProblem = (field: Field): string | undefined => {
  const name = field.endsWith('*') ? field.slice(0, -1).replace(/\.$/, '') : field
  if (name === '' || effects.includes(name) || leaves.includes(name) || families.includes(name)) return undefined
  if (keyed.some((prefix) => name.startsWith(prefix) && name.length > prefix.length)) return undefined
  return (
    `'${field}' is not a field: use counters, seed, rng, data.<key>, model.params, model.buffers, ` +
    `model.<attribute>, optim.<hyper>, optim.schedulers, messageHub.scalars.<key>, messageHub.info.<key>, ` +
    `outputs, metrics, lastBatch, stop, own, hooks.<key>, or an effect (${effects.join(', ')})`
  )
}

const isEffect = (field: Field): boolean => effects.includes(field)

/**
 * Does the declared `pattern` cover the field `field` (a concrete name, or a pattern itself)?
 *
 * @example
 * ```ts
 * covers('messageHub.scalars', 'messageHub.scalars.train/lr') // true
 * covers('messageHub.scalars.train/*', 'messageHub.scalars.train/lr') // true
 * covers('*', 'log') // false: effects are named
 * ```
 */
export const covers = (pattern: Field, field: Field): boolean => {
  if (pattern === field) return true
  if (isEffect(field) || isEffect(pattern)) return false
  if (pattern.endsWith('*')) return field.startsWith(pattern.slice(0, -1))
  return field.startsWith(`${pattern}.`)
}

/** Can one field be named by both `a` and `b`? */
export const overlaps = (a: Field, b: Field): boolean =>
  covers(a, b) ||
  covers(b, a) ||
  (a.endsWith('*') && b.endsWith('*') && (a.startsWith(b.slice(0, -1)) || b.startsWith(a.slice(0, -1))))

/** A hook as the analysis sees it, in execution order. */
export interface Declared {
  readonly name: string
  /** Its registration key (`custom_hooks[0]`, `param_scheduler`): names it in warnings and owns its `own` field. */
  readonly key?: string
  readonly priority: number
  readonly touches: Touches | undefined
}

/** `own` is the hook's state under its key: private unless another hook names `hooks.<key>`. */
const resolveOwn = (fields: ReadonlyArray<Field>, key: string | undefined): ReadonlyArray<Field> =>
  fields.map((f) => (f === 'own' ? (key === undefined ? `own of an unnamed hook` : `hooks.${key}`) : f))

const common = (a: ReadonlyArray<Field>, b: ReadonlyArray<Field>): Field[] =>
  a.filter((f) => !isEffect(f) && b.some((g) => overlaps(f, g)))

const shown = (h: Declared): string => (h.key === undefined || h.key === h.name ? h.name : `${h.name} (${h.key})`)

/**
 * The hazards of hooks given in execution order, one line each. Effects
 * (`log`, `files`, …) are sinks: two hooks writing one are not a hazard. A
 * hook's `own` state is its own (`hooks.<key>` to the others); a snapshot
 * (`*`) reads stale only against a hook of equal priority.
 *
 * @example
 * ```ts
 * hazards([
 *   { name: 'A', priority: 50, touches: { after_train_iter: { reads: [], writes: ['optim.lr'] } } },
 *   { name: 'B', priority: 50, touches: { after_train_iter: { reads: ['optim.lr'], writes: ['optim.lr'] } } },
 * ])
 * // ['after_train_iter: A and B both touch optim.lr and are ordered only by registration (equal priority 50)']
 * ```
 */
export const hazards = (hooks: ReadonlyArray<Declared>): ReadonlyArray<string> => {
  const lines: string[] = []
  const declared = new Set(hooks.flatMap((h) => Object.keys(h.touches ?? {})))
  const stages = allStages.filter((stage) => declared.has(stage))
  for (const stage of stages) {
    const acting = hooks.flatMap((h) => {
      const t = h.touches?.[stage]
      return t === undefined
        ? []
        : [{ hook: h, reads: resolveOwn(t.reads, h.key), writes: resolveOwn(t.writes, h.key) }]
    })
    for (let i = 0; i < acting.length; i++) {
      for (let j = i + 1; j < acting.length; j++) {
        const a = acting[i]!
        const b = acting[j]!
        const conflicting = [...new Set([...common(a.writes, [...b.reads, ...b.writes]), ...common(b.writes, a.reads)])]
        if (conflicting.length > 0 && a.hook.priority === b.hook.priority) {
          lines.push(
            `${stage}: ${shown(a.hook)} and ${shown(b.hook)} both touch ${conflicting.join(', ')} ` +
              `and are ordered only by registration (equal priority ${a.hook.priority})`,
          )
          continue
        }
        // A snapshot of the whole state (`*`: the checkpoint) is taken at its priority on purpose: later writers are
        // ordered after it by design, not read stale. At equal priority (above) it still conflicts.
        const stale = [
          ...new Set(
            common(
              b.writes,
              a.reads.filter((f) => f !== '*'),
            ),
          ),
        ]
        if (stale.length > 0) {
          lines.push(
            `${stage}: ${shown(a.hook)} reads ${stale.join(', ')} before ${shown(b.hook)} writes it ` +
              `(${b.hook.name} runs later in the same stage)`,
          )
        }
      }
    }
  }
  return lines
}
