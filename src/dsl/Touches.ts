/**
 * What a hook reads and writes at each stage, declared by its type, and the
 * ordering hazards a plan can see from the declarations alone: two hooks
 * touching one field at one stage whose order rests only on registration
 * (equal priority), and a hook reading a field that a later hook of the same
 * stage writes.
 * @module
 */
import type { Stage } from './Stage.js'

/**
 * A part of the run state, by a dotted name: `optim.lr` (group learning
 * rates), `model.params`, `model.loss_lambda` (a model attribute), `memory`,
 * `queue`, `ema`, `messageHub`, `data.sampler`.
 */
export type Field = string

/** What a hook reads and writes at one stage. */
export interface StageTouches {
  readonly reads: ReadonlyArray<Field>
  readonly writes: ReadonlyArray<Field>
}

/** A hook type's declaration, per stage. */
export type Touches = { readonly [S in Stage]?: StageTouches }

/** A hook as the analysis sees it, in execution order. */
export interface Declared {
  readonly name: string
  readonly priority: number
  readonly touches: Touches | undefined
}

const overlap = (a: ReadonlyArray<Field>, b: ReadonlyArray<Field>): Field[] => a.filter((f) => b.includes(f))

/**
 * The hazards of hooks given in execution order, one line each.
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
  const stages = new Set(hooks.flatMap((h) => Object.keys(h.touches ?? {}) as Stage[]))
  for (const stage of stages) {
    const acting = hooks.filter((h) => h.touches?.[stage] !== undefined)
    for (let i = 0; i < acting.length; i++) {
      for (let j = i + 1; j < acting.length; j++) {
        const a = acting[i]!
        const b = acting[j]!
        const ta = a.touches![stage]!
        const tb = b.touches![stage]!
        const conflicting = [
          ...new Set([...overlap(ta.writes, [...tb.reads, ...tb.writes]), ...overlap(tb.writes, ta.reads)]),
        ]
        if (conflicting.length > 0 && a.priority === b.priority) {
          lines.push(
            `${stage}: ${a.name} and ${b.name} both touch ${conflicting.join(', ')} ` +
              `and are ordered only by registration (equal priority ${a.priority})`,
          )
          continue
        }
        const stale = overlap(ta.reads, tb.writes)
        if (stale.length > 0) {
          lines.push(
            `${stage}: ${a.name} reads ${stale.join(', ')} before ${b.name} writes it ` +
              `(${b.name} runs later in the same stage)`,
          )
        }
      }
    }
  }
  return lines
}
