/**
 * `OptimWrapperDict` (spec §9): several named wrappers (a GAN's generator and
 * discriminator), each with its own optimizer, groups and state. The model's
 * train step drives each wrapper itself; the dict only keeps them together,
 * reports their learning rates under prefixed names and never initialises
 * their counters (so their losses are always divided by `k`, with no special
 * last window, as in MMEngine).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../schema/codec.js'
import * as OW from './OptimWrapper.js'
import type { ParamGroup } from './ParamGroups.js'
import type { Tree } from '../tensor/tree.js'

export interface OptimWrapperDict {
  readonly wrappers: {
    readonly [name: string]: { readonly wrapper: OW.OptimWrapper; readonly groups: OW.WrapperGroups }
  }
}

/** Build each named wrapper from its config and its groups; errors carry the wrapper's name in the path. */
export const build = (
  configs: { readonly [name: string]: OW.WrapperConfig },
  groups: { readonly [name: string]: ReadonlyArray<ParamGroup> },
): E.Either<ReadonlyArray<Issue>, OptimWrapperDict> => {
  const issues: Issue[] = []
  const wrappers: { [name: string]: { wrapper: OW.OptimWrapper; groups: OW.WrapperGroups } } = {}
  for (const [name, cfg] of Object.entries(configs)) {
    const own = groups[name]
    if (own === undefined) {
      issues.push({ path: name, message: `the constructor assigned no parameters to wrapper '${name}'` })
      continue
    }
    const built = OW.build(cfg, own)
    if (built._tag === 'Left')
      issues.push(...built.left.map((i) => ({ path: i.path === '' ? name : `${name}.${i.path}`, message: i.message })))
    else wrappers[name] = built.right
  }
  for (const name of Object.keys(groups))
    if (!(name in configs))
      issues.push({ path: name, message: `parameters were assigned to '${name}', which has no wrapper config` })
  return issues.length > 0 ? E.left(issues) : E.right({ wrappers })
}

/** `get_lr()`: `<name>.lr` for every wrapper, and `<name>.base_lr` where a wrapper has several groups. */
export const learningRates = (dict: OptimWrapperDict): { readonly [key: string]: ReadonlyArray<number> } =>
  Object.fromEntries(
    Object.entries(dict.wrappers).flatMap(([name, w]) =>
      Object.entries(OW.learningRates(w.groups)).map(([k, v]) => [`${name}.${k}`, v]),
    ),
  )

/** The state of every wrapper (counters never initialised: `initialize_count_status` is a no-op here). */
export const init = (
  dict: OptimWrapperDict,
  params: { readonly [name: string]: Tree },
): { readonly [name: string]: OW.WrapperState } =>
  Object.fromEntries(Object.entries(dict.wrappers).map(([name, w]) => [name, OW.init(w.wrapper, params[name] ?? {})]))
