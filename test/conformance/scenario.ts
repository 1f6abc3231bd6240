/**
 * The reference scenario format (see the project's conformance README copy in
 * docs/conformance.md): what a recorded MMEngine run holds. Every field is
 * optional except `scenario`; a replay checks the fields that are present.
 */
export interface TensorRecord {
  readonly shape: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
}

export interface PerIter {
  readonly iter: number
  readonly epoch: number
  readonly batch_idx: number
  readonly batch_size?: number
  readonly lr?: ReadonlyArray<number>
  readonly loss?: number
  readonly stepped?: boolean
  readonly loss_factor?: number
  readonly grad_norm?: number
  readonly grads_pre_clip?: { readonly [name: string]: ReadonlyArray<number> }
  readonly grads?: { readonly [name: string]: ReadonlyArray<number> }
  readonly params?: { readonly [name: string]: ReadonlyArray<number> }
}

export interface Scenario {
  readonly scenario: string
  readonly config: { readonly [key: string]: unknown }
  readonly model?: { readonly [name: string]: TensorRecord }
  readonly model_param_order?: ReadonlyArray<string>
  readonly data?: { readonly [key: string]: unknown }
  readonly param_groups?: ReadonlyArray<{
    readonly param_names: ReadonlyArray<string>
    readonly [key: string]: unknown
  }>
  readonly per_param?: ReadonlyArray<{ readonly name: string; readonly [key: string]: unknown }>
  readonly per_iter?: ReadonlyArray<PerIter>
  readonly final_params?: { readonly [name: string]: ReadonlyArray<number> }
  readonly final_lr?: ReadonlyArray<number>
  readonly steps?: {
    readonly step: ReadonlyArray<number>
    readonly nonfinite_steps: ReadonlyArray<number>
    readonly scale_used: ReadonlyArray<number>
    readonly skipped: ReadonlyArray<boolean>
    readonly scale_after: ReadonlyArray<number>
    readonly growth_tracker_after: ReadonlyArray<number>
  }
  readonly scale_changes?: ReadonlyArray<{
    readonly step: number
    readonly scale_before: number
    readonly scale_after: number
  }>
  readonly final?: { readonly scale: number; readonly growth_tracker: number; readonly n_skipped: number }
  readonly [field: string]: unknown
}

/** One check's outcome, printed as `PASS|FAIL|SKIP scenario field detail`. */
export interface Check {
  readonly status: 'PASS' | 'FAIL' | 'SKIP'
  readonly field: string
  readonly detail: string
}
