/**
 * Codec building blocks for configs, on io-ts.
 *
 * Every failure carries a message that says what was expected and what was
 * given, and every nested value is decoded under its key, so a report reads
 * `optim_wrapper.clip_grad.max_norm: expected a positive number, got "0.2x"`.
 * Dicts are strict: an unknown key is an error with a did-you-mean.
 *
 * Codecs here validate and narrow; they never transform, so
 * `encode(decode(x)) = x` for every accepted `x`.
 * @module
 */
import * as t from 'io-ts'
import { suggestion } from './didYouMean.js'

/** A codec whose decoded and encoded forms coincide (a validator that narrows the type). */
export type Codec<A> = t.Type<A, A, unknown>

/** Any codec, whatever it decodes to. */
// biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
export type AnyCodec = t.Type<any, any, unknown>

/** A readable rendering of any input value for error messages (truncated). */
export const show = (value: unknown): string => {
  if (value === undefined) return 'nothing'
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  if (typeof value === 'function') return 'a function'
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** Is this a plain dict (not an array, not null)? */
export const isDict = (u: unknown): u is { readonly [key: string]: unknown } =>
  typeof u === 'object' && u !== null && !Array.isArray(u)

/** A failure that reads "expected X, got Y". */
export const expected = <A>(u: unknown, c: t.Context, what: string): t.Validation<A> =>
  t.failure(u, c, `expected ${what}, got ${show(u)}`)

/** A codec from a type guard and a description of the accepted values. */
export const refine = <A>(description: string, is: (u: unknown) => u is A): Codec<A> =>
  new t.Type<A, A, unknown>(description, is, (u, c) => (is(u) ? t.success(u) : expected(u, c, description)), t.identity)

const isFiniteNumber = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u)

export const string = refine('a string', (u): u is string => typeof u === 'string')
export const nonEmptyString = refine('a non-empty string', (u): u is string => typeof u === 'string' && u.length > 0)
export const boolean = refine('a boolean (true or false)', (u): u is boolean => typeof u === 'boolean')
export const number = refine('a number', isFiniteNumber)
export const positiveNumber = refine('a positive number', (u): u is number => isFiniteNumber(u) && u > 0)
export const nonNegativeNumber = refine('a number ≥ 0', (u): u is number => isFiniteNumber(u) && u >= 0)
export const int = refine('an integer', (u): u is number => Number.isInteger(u))
export const positiveInt = refine('a positive integer', (u): u is number => Number.isInteger(u) && (u as number) > 0)
export const nonNegativeInt = refine('an integer ≥ 0', (u): u is number => Number.isInteger(u) && (u as number) >= 0)
export const unitInterval = refine('a number from 0 to 1', (u): u is number => isFiniteNumber(u) && u >= 0 && u <= 1)

/** One of the given literal values. */
export const literal = <const V extends ReadonlyArray<string | number | boolean | null>>(
  ...values: V
): Codec<V[number]> =>
  refine(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, (u): u is V[number] =>
    values.includes(u as V[number]),
  )

/** `codec`, or `null` (Python `None`). */
export const nullable = <A>(codec: Codec<A>): Codec<A | null> =>
  new t.Type<A | null, A | null, unknown>(
    `${codec.name} or null`,
    (u): u is A | null => u === null || codec.is(u),
    (u, c) => (u === null ? t.success(null) : codec.validate(u, c)),
    t.identity,
  )

/**
 * The first of several codecs whose guard accepts the input's *shape*
 * (`accepts`), decoded with that codec so nested errors keep their paths.
 */
export const dispatch = <
  const Cases extends ReadonlyArray<readonly [accepts: (u: unknown) => boolean, codec: AnyCodec]>,
>(
  description: string,
  cases: Cases,
): Codec<t.TypeOf<Cases[number][1]>> => {
  type A = t.TypeOf<Cases[number][1]>
  return new t.Type<A, A, unknown>(
    description,
    (u): u is A => cases.some(([accepts, codec]) => accepts(u) && codec.is(u)),
    (u, c) => {
      const found = cases.find(([accepts]) => accepts(u))
      return found === undefined ? expected(u, c, description) : (found[1].validate(u, c) as t.Validation<A>)
    },
    t.identity,
  )
}

/** A list (Python list or tuple) of `item`. Element paths read `key[i]`. */
export const array = <A>(item: Codec<A>, description = `a list of ${item.name}`): Codec<ReadonlyArray<A>> =>
  new t.Type<ReadonlyArray<A>, ReadonlyArray<A>, unknown>(
    description,
    (u): u is ReadonlyArray<A> => Array.isArray(u) && u.every((x) => item.is(x)),
    (u, c) => {
      if (!Array.isArray(u)) return expected(u, c, description)
      const errors: t.ValidationError[] = []
      u.forEach((x, i) => {
        const r = item.validate(x, t.appendContext(c, `[${i}]`, item, x))
        if (r._tag === 'Left') errors.push(...r.left)
      })
      return errors.length > 0 ? t.failures(errors) : t.success(u as ReadonlyArray<A>)
    },
    t.identity,
  )

/** A dict with arbitrary string keys and `value` values. */
export const record = <A>(
  value: Codec<A>,
  description = `a dict of ${value.name}`,
): Codec<{ readonly [key: string]: A }> =>
  new t.Type<{ readonly [key: string]: A }, { readonly [key: string]: A }, unknown>(
    description,
    (u): u is { readonly [key: string]: A } => isDict(u) && Object.values(u).every((x) => value.is(x)),
    (u, c) => {
      if (!isDict(u)) return expected(u, c, description)
      const errors: t.ValidationError[] = []
      for (const [k, x] of Object.entries(u)) {
        const r = value.validate(x, t.appendContext(c, k, value, x))
        if (r._tag === 'Left') errors.push(...r.left)
      }
      return errors.length > 0 ? t.failures(errors) : t.success(u as { readonly [key: string]: A })
    },
    t.identity,
  )

/** A JSON value (what a config file can hold): no functions, no `undefined`, no NaN or ±Infinity. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const isJson = (u: unknown): u is Json => {
  if (u === null || typeof u === 'boolean' || typeof u === 'string') return true
  if (typeof u === 'number') return Number.isFinite(u)
  if (Array.isArray(u)) return u.every(isJson)
  if (isDict(u)) return Object.values(u).every(isJson)
  return false
}

export const json: Codec<Json> = refine('a plain value (number, string, boolean, null, list or dict)', isJson)

type Props = { readonly [key: string]: AnyCodec }

/** The decoded type of a strict dict with `Required` and `Optional` keys. */
export type StructOf<Required extends Props, Optional extends Props> = {
  readonly [K in keyof Required]: t.TypeOf<Required[K]>
} & { readonly [K in keyof Optional]?: t.TypeOf<Optional[K]> }

/**
 * A strict dict: the `required` keys must be present, the `optional` keys may
 * be, and any other key is an error that suggests the closest known key.
 * A key whose value is `undefined` (possible in TS configs) counts as absent.
 */
export const struct = <Required extends Props, Optional extends Props = Record<never, never>>(
  description: string,
  required: Required,
  optional: Optional = {} as Optional,
): Codec<StructOf<Required, Optional>> => {
  type A = StructOf<Required, Optional>
  const known = [...Object.keys(required), ...Object.keys(optional)]
  const codecFor = (key: string): AnyCodec | undefined =>
    Object.hasOwn(required, key) ? required[key] : Object.hasOwn(optional, key) ? optional[key] : undefined
  const validate = (u: unknown, c: t.Context): t.Validation<A> => {
    if (!isDict(u)) return expected(u, c, description)
    const errors: t.ValidationError[] = []
    for (const key of Object.keys(required)) {
      if (u[key] === undefined) {
        errors.push({
          value: undefined,
          context: t.appendContext(c, key, required[key]!, undefined),
          message: `required key missing (${required[key]!.name})`,
        })
      }
    }
    for (const [key, value] of Object.entries(u)) {
      if (value === undefined) continue
      const codec = codecFor(key)
      if (codec === undefined) {
        const hint = suggestion(key, known)
        const listing =
          hint !== ''
            ? ''
            : known.length === 0
              ? `: ${description}`
              : known.length <= 16
                ? `; known keys: ${known.join(', ')}`
                : ''
        errors.push({
          value,
          context: t.appendContext(c, key, t.unknown, value),
          message: `unknown key${hint}${listing}`,
        })
        continue
      }
      const r = codec.validate(value, t.appendContext(c, key, codec, value))
      if (r._tag === 'Left') errors.push(...r.left)
    }
    return errors.length > 0 ? t.failures(errors) : t.success(u as unknown as A)
  }
  return new t.Type<A, A, unknown>(description, (u): u is A => validate(u, [])._tag === 'Right', validate, t.identity)
}

/**
 * "unknown key" failures for the keys of `u` that are not in `known`, with a
 * did-you-mean: for dicts that cannot be decoded further (a missing `type`
 * picks no codec), so that a misspelt `tpye` is still named.
 */
export const strayKeys = (
  u: { readonly [key: string]: unknown },
  c: t.Context,
  known: ReadonlyArray<string>,
): t.ValidationError[] =>
  Object.entries(u)
    .filter(([key, value]) => value !== undefined && !known.includes(key))
    .map(([key, value]) => ({
      value,
      context: t.appendContext(c, key, t.unknown, value),
      message: `unknown key${suggestion(key, known)}`,
    }))

/** A codec checked by an extra predicate over the decoded value (cross-field rules). */
export const check = <A>(codec: Codec<A>, rule: (a: A) => string | undefined): Codec<A> =>
  new t.Type<A, A, unknown>(
    codec.name,
    (u): u is A => codec.is(u) && rule(u) === undefined,
    (u, c) => {
      const r = codec.validate(u, c)
      if (r._tag === 'Left') return r
      const problem = rule(r.right)
      return problem === undefined ? r : t.failure(u, c, problem)
    },
    t.identity,
  )

/** How deeply a config value may nest (dicts and lists); Python configs stop at the same depth. */
export const MAX_NESTING = 200

/**
 * Is `value` plain data that the recursive codecs and merges can walk: no
 * cycles, and no deeper than {@link MAX_NESTING}? An iterative walk, so a
 * hostile input cannot exhaust the stack here. Returns the first problem,
 * with its path, or `undefined`.
 *
 * @example
 * ```ts
 * const a: { [k: string]: unknown } = {}
 * a['self'] = a
 * plainDataProblem({ model: a })  // { path: 'model.self', message: 'refers back to model (a cycle); a config must be
 * plain data' }
 * ```
 */
export const plainDataProblem = (value: unknown, limit = MAX_NESTING): Issue | undefined => {
  if (typeof value !== 'object' || value === null) return undefined
  // Depth-first with an explicit stack of containers; `ancestors` holds those on the current branch.
  // Scalars are skipped without building their paths: a large inline dataset costs one pass.
  interface Frame {
    readonly value: object
    readonly path: string
    readonly keys: ReadonlyArray<string> | undefined
    readonly length: number
    next: number
  }
  const ancestors = new Map<object, string>([[value, '']])
  const frameOf = (v: object, path: string): Frame => {
    const keys = Array.isArray(v) ? undefined : Object.keys(v)
    return {
      value: v,
      path,
      keys,
      length: keys === undefined ? (v as ReadonlyArray<unknown>).length : keys.length,
      next: 0,
    }
  }
  const stack: Frame[] = [frameOf(value, '')]
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!
    if (top.next >= top.length) {
      ancestors.delete(top.value)
      stack.pop()
      continue
    }
    const i = top.next++
    const key = top.keys === undefined ? i : top.keys[i]!
    const child = (top.value as { readonly [k: string]: unknown })[key]
    if (typeof child !== 'object' || child === null) continue
    const path = typeof key === 'number' ? `${top.path}[${key}]` : top.path === '' ? key : `${top.path}.${key}`
    const seen = ancestors.get(child)
    if (seen !== undefined)
      return {
        path,
        message: `refers back to ${seen === '' ? 'the whole config' : seen} (a cycle); a config must be plain data`,
      }
    if (stack.length >= limit)
      return {
        path: path.length > 120 ? `${path.slice(0, 120)}…` : path,
        message: `nested more than ${limit} levels deep; a config must be plain data of reasonable depth`,
      }
    ancestors.set(child, path)
    stack.push(frameOf(child, path))
  }
  return undefined
}

/** One decode problem: where it is and what is wrong. */
export interface Issue {
  /** Dotted path inside the config, e.g. `optim_wrapper.clip_grad.max_norm` or `custom_hooks[1].priority`. */
  readonly path: string
  readonly message: string
}

/** Join context keys into a dotted path; list indices attach without a dot. */
export const pathOf = (context: t.Context): string =>
  context
    .map((entry) => entry.key)
    .filter((key) => key !== '')
    .reduce((path, key) => (path === '' ? key : key.startsWith('[') ? `${path}${key}` : `${path}.${key}`), '')

/** io-ts errors as issues, in order, without duplicates. */
export const issuesOf = (errors: t.Errors): ReadonlyArray<Issue> => {
  const seen = new Set<string>()
  const issues: Issue[] = []
  for (const error of errors) {
    const issue = {
      path: pathOf(error.context),
      message:
        error.message ?? `expected ${error.context.at(-1)?.type.name ?? 'a valid value'}, got ${show(error.value)}`,
    }
    const id = `${issue.path}\u0000${issue.message}`
    if (!seen.has(id)) {
      seen.add(id)
      issues.push(issue)
    }
  }
  return issues
}

/** `path: message`, or just the message for a problem with the whole config. */
export const formatIssue = (issue: Issue): string =>
  issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`
