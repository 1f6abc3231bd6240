/**
 * `init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')` on a
 * model config, as MMSelfSup's linear-probe and fine-tune configs put it on
 * the backbone: after the seeded initialisation, the checkpoint's tensors
 * under `prefix` (prefix stripped, MMEngine's `_load_checkpoint_with_prefix`)
 * initialise the model's `backbone.` parameters and buffers; the rest of the
 * model (the head) keeps its initialisation. Without `prefix`, the
 * checkpoint's tensors initialise the model's tensors of the same names.
 *
 * The checkpoint is a loopwright checkpoint (e.g. the `epoch_N` of a
 * self-supervised run) or any safetensors file. Every targeted parameter must
 * be found with its shape (MMEngine only warns; a probe on a half-loaded
 * backbone would measure nothing); the checkpoint's other tensors are ignored.
 * @module
 */
import * as fs from 'node:fs'
import * as Effect from 'effect/Effect'
import type { Issue } from '../../schema/codec.js'
import { isDict } from '../../schema/codec.js'
import type { State, TensorRef, TensorTree } from '../../dsl/State.js'
import { DEFAULT_REVISE_KEYS, loadWeights } from '../../tensor/loadWeights.js'
import * as Safetensors from '../../tensor/safetensors.js'
import type { TensorStore } from './TensorStore.js'
import * as Checkpoint from './checkpoint.js'

const AT = 'model.init_cfg'
const BACKBONE = 'backbone.'

/** The `init_cfg` a model config asks for, if it is `Pretrained`. */
export const pretrainedOf = (
  modelCfg: unknown,
): E<{ readonly checkpoint: string; readonly prefix: string | undefined }> | undefined => {
  const init = isDict(modelCfg) ? modelCfg['init_cfg'] : undefined
  if (init === undefined || init === null) return undefined
  const list = Array.isArray(init) ? init : [init]
  const pretrained = list.find((c) => isDict(c) && c['type'] === 'Pretrained')
  if (pretrained === undefined || !isDict(pretrained)) return undefined
  const stray = Object.keys(pretrained).filter((k) => !['type', 'checkpoint', 'prefix', 'map_location'].includes(k))
  if (stray.length > 0)
    return {
      issues: stray.map((k) => ({
        path: `${AT}.${k}`,
        message: 'unknown key (Pretrained takes checkpoint, prefix, map_location)',
      })),
    }
  const checkpoint = pretrained['checkpoint']
  if (typeof checkpoint !== 'string' || checkpoint === '')
    return { issues: [{ path: `${AT}.checkpoint`, message: 'expected the path of a checkpoint file' }] }
  const prefix = pretrained['prefix']
  if (prefix !== undefined && prefix !== null && typeof prefix !== 'string')
    return { issues: [{ path: `${AT}.prefix`, message: 'expected a string such as "backbone."' }] }
  return {
    value: {
      checkpoint,
      prefix: typeof prefix === 'string' && prefix !== '' ? (prefix.endsWith('.') ? prefix : `${prefix}.`) : undefined,
    },
  }
}

type E<A> =
  | { readonly value: A; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<Issue>; readonly value?: undefined }

/** The state with the model's targeted tensors taken from the `Pretrained` checkpoint (unchanged without one). */
export const applyPretrained = (
  state: State,
  modelCfg: unknown,
  store: TensorStore,
): Effect.Effect<State, ReadonlyArray<Issue>> =>
  Effect.gen(function* () {
    const cfg = pretrainedOf(modelCfg)
    if (cfg === undefined) return state
    if (cfg.issues !== undefined) return yield* Effect.fail(cfg.issues)
    const { checkpoint: file, prefix } = cfg.value
    // Target model name → the checkpoint key that initialises it.
    const sourceOf = (name: string): string | undefined =>
      prefix === undefined ? name : name.startsWith(BACKBONE) ? prefix + name.slice(BACKBONE.length) : undefined
    const targets = [...Object.entries(state.model.params), ...Object.entries(state.model.buffers)].filter(
      ([n]) => sourceOf(n) !== undefined,
    )
    if (targets.length === 0)
      return yield* Effect.fail([
        {
          path: `${AT}.prefix`,
          message: `the model has no parameters under '${BACKBONE}' for prefix '${prefix}' to initialise`,
        },
      ] as ReadonlyArray<Issue>)
    const bytes = yield* Effect.try({
      try: () => new Uint8Array(fs.readFileSync(file)),
      catch: (e) =>
        [
          {
            path: `${AT}.checkpoint`,
            message:
              `cannot read ${file}: ` +
              `${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message)}`,
          },
        ] as ReadonlyArray<Issue>,
    })
    const decoded = Safetensors.decode(bytes)
    if (decoded._tag === 'Left')
      return yield* Effect.fail([
        { path: `${AT}.checkpoint`, message: `${file}: not a readable safetensors file: ${decoded.left.message}` },
      ] as ReadonlyArray<Issue>)
    let found: { readonly [key: string]: TensorRef }
    if (decoded.right.metadata['format'] === Checkpoint.FORMAT) {
      const loaded = Checkpoint.fromFile(decoded.right, file, store)
      if (loaded._tag === 'Left')
        return yield* Effect.fail([
          { path: `${AT}.checkpoint`, message: `${loaded.left.path}: ${loaded.left.message}` },
        ] as ReadonlyArray<Issue>)
      found = { ...loaded.right.state.model.buffers, ...loaded.right.state.model.params }
    } else {
      const expected = Object.fromEntries(targets.map(([n, ref]) => [sourceOf(n)!, ref.shape]))
      const weights = loadWeights(expected, decoded.right, { reviseKeys: DEFAULT_REVISE_KEYS, strict: false })
      if (weights._tag === 'Left')
        return yield* Effect.fail(
          weights.left.map((p) => ({ path: `${AT}.checkpoint`, message: `${file}: ${p.message}` })),
        )
      found = store.externalize(weights.right.tree) as TensorTree
    }
    const problems: Issue[] = []
    const take = (tree: TensorTree, required: boolean): TensorTree =>
      Object.fromEntries(
        Object.entries(tree).map(([name, ref]) => {
          const key = sourceOf(name)
          if (key === undefined) return [name, ref]
          const source = found[key]
          if (source === undefined) {
            if (required) problems.push({ path: `${AT}.checkpoint`, message: `${file}: no tensor ${key} for ${name}` })
            return [name, ref]
          }
          if (source.shape.join() !== ref.shape.join()) {
            problems.push({
              path: `${AT}.checkpoint`,
              message:
                `${file}: ${key} has shape [${source.shape.join(', ')}], the model's ${name} is ` +
                `[${ref.shape.join(', ')}]`,
            })
            return [name, ref]
          }
          return [name, source]
        }),
      )
    const params = take(state.model.params, true)
    const buffers = take(state.model.buffers, false)
    if (problems.length > 0) return yield* Effect.fail(problems)
    return { ...state, model: { ...state.model, params, buffers } }
  })
