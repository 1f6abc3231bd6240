/**
 * Forms MMEngine (or an OpenMMLab project's component) accepts that
 * loopwright's codecs spell differently, rewritten before decoding, and the
 * options loopwright accepts but cannot honour, each named in one warning
 * line of the plan instead of refusing the config.
 * @module
 */
import { isDict } from '../schema/codec.js'

type Dict = { readonly [key: string]: unknown }

/** The rewritten config and what the plan should say about it. */
export interface Normalized {
  readonly raw: Dict
  readonly warnings: ReadonlyArray<string>
}

/** `log_processor.custom_cfg[i].method` is the older spelling of `method_name` (MMSelfSup's default_runtime.py). */
const customCfgMethod = (raw: Dict): Dict => {
  const processor = raw['log_processor']
  if (!isDict(processor) || !Array.isArray(processor['custom_cfg'])) return raw
  const entries = processor['custom_cfg'].map((entry: unknown) => {
    if (!isDict(entry) || entry['method'] === undefined || entry['method_name'] !== undefined) return entry
    const { method, ...rest } = entry
    return { ...rest, method_name: method }
  })
  return { ...raw, log_processor: { ...processor, custom_cfg: entries } }
}

/** Rewrite the older forms and collect the warnings (pure; `raw` is not changed). */
export const normalizeLegacyForms = (raw: Dict): Normalized => ({
  raw: customCfgMethod(raw),
  warnings: [],
})
