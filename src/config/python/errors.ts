/** Positioned errors of the Python config reader: thrown inside, returned as values by the entry points. */

/** Why a config could not be evaluated; `line` and `column` are 1-based. */
export interface PythonConfigError {
  readonly line: number
  readonly column: number
  readonly message: string
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

export interface Pos {
  readonly line: number
  readonly column: number
}

/** Internal: thrown by every stage, turned into a `Left` by the two entry points. */
export class ConfigError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message)
  }
}

export function fail(pos: Pos, message: string): never {
  throw new ConfigError(pos.line, pos.column, message)
}

export function toConfigError(e: unknown): PythonConfigError {
  if (e instanceof ConfigError) return { line: e.line, column: e.column, message: e.message }
  // Deeply nested input can exhaust the JS stack; report it rather than throw.
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return { line: 1, column: 1, message: 'config is too deeply nested to evaluate' }
  }
  return { line: 1, column: 1, message: `internal error: ${e instanceof Error ? e.message : String(e)}` }
}
