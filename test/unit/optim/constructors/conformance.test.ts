/**
 * The reference scenario s02 (AdamW + paramwise_cfg, recorded from MMEngine
 * 0.10.7): the constructor must give exactly its recorded param groups.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildParamGroups, withDefaults } from '../../../../src/optim/constructors/index.js'
import type { ModelInfo, ModuleInfo } from '../../../../src/optim/constructors/index.js'
import type { Json } from '../../../../src/schema/codec.js'

interface Scenario {
  readonly model: { readonly [name: string]: { readonly shape: ReadonlyArray<number> } }
  readonly model_param_order: ReadonlyArray<string>
  readonly config: { readonly optim_wrapper: { readonly [key: string]: Json } }
  readonly param_groups: ReadonlyArray<{ readonly param_names: ReadonlyArray<string>; readonly [key: string]: Json }>
  readonly notes: ReadonlyArray<string>
}

const scenario = JSON.parse(
  readFileSync(new URL('../../../fixtures/conformance/mmengine/s02_adamw_paramwise.json', import.meta.url), 'utf8'),
) as Scenario

/** TinyRegressor: backbone (pos_embed, fc1: Linear, norm: LayerNorm), head (fc: Linear). */
const moduleOf = (name: string): ModuleInfo =>
  name === 'backbone.pos_embed'
    ? { type: 'TinyBackbone' }
    : name.startsWith('backbone.norm.')
      ? { type: 'LayerNorm' }
      : { type: 'Linear' }

const model: ModelInfo = {
  params: scenario.model_param_order.map((name) => ({
    name,
    shape: scenario.model[name]!.shape,
    requiresGrad: true,
    module: moduleOf(name),
  })),
}

// torch 1.13 AdamW defaults, overridden by the config (what add_param_group fills in).
const torch113AdamW = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weight_decay: 1e-2,
  amsgrad: false,
  foreach: null,
  maximize: false,
  capturable: false,
}

describe('conformance s02_adamw_paramwise: param groups', () => {
  const built = buildParamGroups(scenario.config.optim_wrapper, model)
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  const { type: _type, ...optimizerArgs } = built.right.optimizerCfg as { readonly [key: string]: Json }
  const groups = withDefaults(built.right.groups, { ...torch113AdamW, ...optimizerArgs })

  it('the scenario is the one described (custom keys win over bias_lr_mult)', () => {
    expect(scenario.notes[0]).toContain('ALL other rules')
    expect(scenario.model_param_order).toHaveLength(7)
  })

  it('gives one group per parameter, in model order', () => {
    expect(groups.map((g) => g.params)).toEqual(scenario.param_groups.map((g) => g.param_names))
  })

  it('gives exactly the recorded keys, in the recorded order, with the recorded values', () => {
    scenario.param_groups.forEach((recorded, i) => {
      const { param_names: _names, ...expected } = recorded
      const { params: _params, ...actual } = groups[i]!
      expect({ name: recorded.param_names[0], keys: Object.keys(actual) }).toEqual({
        name: recorded.param_names[0],
        keys: Object.keys(expected),
      })
      expect(actual).toEqual(expected)
    })
  })

  it('lr, weight_decay, decay_mult and lr_mult match where recorded', () => {
    const pick = (g: { readonly [key: string]: Json }) => ({
      lr: g['lr'],
      weight_decay: g['weight_decay'],
      decay_mult: g['decay_mult'],
      lr_mult: g['lr_mult'],
    })
    expect(groups.map(pick)).toEqual(scenario.param_groups.map(pick))
    // bias_lr_mult=2.0 has no effect: 'bias' is a custom key.
    expect(groups.find((g) => g.params[0] === 'backbone.fc1.bias')!['lr']).toBe(0.01)
  })
})
