import { describe, expect, it } from 'vitest'
import { defaultConstructor, withDefaults } from '../../../../src/optim/constructors/index.js'
import type { ConstructorResult, GroupRecord, ModelInfo } from '../../../../src/optim/constructors/index.js'
import { exampleModel, exampleNames, param } from './models.js'

const sgd = { type: 'SGD', lr: 0.01, weight_decay: 0.9, momentum: 1e-4 }
const sgdDefaults = { lr: 0.01, momentum: 1e-4, dampening: 0, weight_decay: 0.9, nesterov: false }

const run = (paramwise: unknown, model: ModelInfo = exampleModel(), optimizer: unknown = sgd): ConstructorResult => {
  const r = defaultConstructor(optimizer, paramwise, model)
  if (r._tag === 'Left') throw new Error(JSON.stringify(r.left))
  return r.right
}

const issues = (paramwise: unknown, model: ModelInfo = exampleModel(), optimizer: unknown = sgd) => {
  const r = defaultConstructor(optimizer, paramwise, model)
  if (r._tag === 'Right') throw new Error('expected issues')
  return r.left
}

/** Parameter name → its group (each group holds one parameter). */
const byName = (groups: ReadonlyArray<GroupRecord>): Map<string, GroupRecord> =>
  new Map(groups.map((g) => [g.params[0]!, g]))

/** The effective (lr, weight_decay) of every parameter once the optimizer defaults are filled in. */
const effective = (result: ConstructorResult, defaults: { readonly [k: string]: number | boolean } = sgdDefaults) =>
  Object.fromEntries(
    withDefaults(result.groups, defaults).flatMap((g) => g.params.map((n) => [n, [g['lr'], g['weight_decay']]])),
  )

describe('defaultConstructor: without paramwise_cfg', () => {
  it('gives one group with every parameter, frozen ones included', () => {
    const frozen = exampleModel((p) => (p.name.startsWith('conv1') ? { ...p, requiresGrad: false } : p))
    for (const paramwise of [undefined, null, {}]) {
      const r = run(paramwise, frozen)
      expect(r.groups).toEqual([{ params: exampleNames }])
      expect(r.warnings).toEqual([])
    }
  })

  it('lists a shared tensor once (model.parameters())', () => {
    const model = exampleModel()
    const shared: ModelInfo = {
      params: [
        ...model.params,
        param('conv3.0.weight', [4, 3, 1, 1], { type: 'Conv2d', inChannels: 3 }, { sameTensorAs: 'conv1.weight' }),
      ],
    }
    expect(run(undefined, shared).groups).toEqual([{ params: exampleNames }])
  })

  it('a non-empty paramwise_cfg, even {custom_keys: {}}, gives one group per parameter', () => {
    const r = run({ custom_keys: {} })
    expect(r.groups).toEqual(exampleNames.map((n) => ({ params: [n] })))
  })
})

describe('defaultConstructor: the custom_keys table of MMEngine test_optimizer.py (spec §10)', () => {
  const paramwise = {
    custom_keys: {
      param1: { lr_mult: 10 },
      sub: { lr_mult: 0.1, decay_mult: 0 },
      'sub.gn': { lr_mult: 0.01 },
      non_exist_key: { lr_mult: 0.0 },
    },
    norm_decay_mult: 0.5,
  }

  it('gives 11 groups in model order with the expected lr and weight decay', () => {
    const r = run(paramwise)
    expect(r.groups.map((g) => g.params)).toEqual(exampleNames.map((n) => [n]))
    expect(effective(r)).toEqual({
      param1: [0.01 * 10, 0.9],
      'conv1.weight': [0.01, 0.9],
      'conv2.weight': [0.01, 0.9],
      'conv2.bias': [0.01, 0.9],
      'bn.weight': [0.01, 0.9 * 0.5],
      'bn.bias': [0.01, 0.9 * 0.5],
      // 'param1' (6 characters) is longer than 'sub' (3): it wins for sub.param1.
      'sub.param1': [0.01 * 10, 0.9],
      'sub.conv1.weight': [0.01 * 0.1, 0],
      'sub.conv1.bias': [0.01 * 0.1, 0],
      // 'sub.gn' beats 'sub', and as a custom key it also excludes norm_decay_mult.
      'sub.gn.weight': [0.01 * 0.01, 0.9],
      'sub.gn.bias': [0.01 * 0.01, 0.9],
    })
    expect(effective(r)['sub.gn.weight']).toEqual([0.0001, 0.9])
    expect(effective(r)['sub.conv1.bias']).toEqual([0.001, 0])
  })

  it('sets only the keys the rules set, and copies every key of the winning custom entry', () => {
    const g = byName(run(paramwise).groups)
    expect(g.get('param1')).toEqual({ params: ['param1'], lr: 0.1, weight_decay: 0.9, lr_mult: 10 })
    expect(g.get('conv1.weight')).toEqual({ params: ['conv1.weight'] })
    expect(g.get('bn.bias')).toEqual({ params: ['bn.bias'], weight_decay: 0.45 })
    expect(g.get('sub.conv1.weight')).toEqual({
      params: ['sub.conv1.weight'],
      lr: 0.001,
      weight_decay: 0,
      lr_mult: 0.1,
      decay_mult: 0,
    })
    expect(Object.keys(g.get('sub.conv1.weight')!)).toEqual(['params', 'lr', 'weight_decay', 'lr_mult', 'decay_mult'])
  })

  it('logs every override as MMEngine does (no leading dot in the logged name)', () => {
    const r = run(paramwise)
    expect(r.log.slice(0, 3)).toEqual([
      'paramwise_options -- param1:lr=0.1',
      'paramwise_options -- param1:weight_decay=0.9',
      'paramwise_options -- param1:lr_mult=10.0',
    ])
    expect(r.log).toContain('paramwise_options -- bn.weight:weight_decay=0.45')
    expect(r.log).toContain('paramwise_options -- sub.conv1.weight:decay_mult=0.0')
    expect(r.log.filter((l) => l.startsWith('paramwise_options -- conv1.weight'))).toEqual([])
  })

  it('warns about a custom key that matches no parameter', () => {
    expect(run(paramwise).warnings).toEqual(["custom_keys 'non_exist_key' matches no parameter"])
  })
})

describe('defaultConstructor: the type rules, each in isolation', () => {
  const only = (paramwise: object) => {
    const r = run(paramwise)
    return Object.fromEntries(
      r.groups
        .filter((g) => Object.keys(g).length > 1)
        .map((g) => {
          const { params, ...rest } = g
          return [params[0]!, rest]
        }),
    )
  }

  it('bias_lr_mult: biases outside norm layers', () => {
    expect(only({ bias_lr_mult: 2 })).toEqual({ 'conv2.bias': { lr: 0.02 }, 'sub.conv1.bias': { lr: 0.02 } })
  })
  it(
    'bias_decay_mult: biases outside norm layers (norm biases are not biases for ' +
      'this rule only when norm_decay_mult is set)',
    () => {
      expect(only({ bias_decay_mult: 0.5 })).toEqual({
        'conv2.bias': { weight_decay: 0.45 },
        'bn.bias': { weight_decay: 0.45 },
        'sub.conv1.bias': { weight_decay: 0.45 },
        'sub.gn.bias': { weight_decay: 0.45 },
      })
    },
  )
  it('norm_decay_mult: every parameter of a BatchNorm / GroupNorm', () => {
    expect(only({ norm_decay_mult: 0 })).toEqual({
      'bn.weight': { weight_decay: 0 },
      'bn.bias': { weight_decay: 0 },
      'sub.gn.weight': { weight_decay: 0 },
      'sub.gn.bias': { weight_decay: 0 },
    })
  })
  it('dwconv_decay_mult: Conv2d with in_channels == groups', () => {
    expect(only({ dwconv_decay_mult: 0.1 })).toEqual({
      'sub.conv1.weight': { weight_decay: 0.9 * 0.1 },
      'sub.conv1.bias': { weight_decay: 0.9 * 0.1 },
    })
  })
  it('flat_decay_mult: every 1-d parameter', () => {
    const flat = { weight_decay: 0.9 * 0.3 }
    expect(only({ flat_decay_mult: 0.3 })).toEqual({
      param1: flat,
      'conv2.bias': flat,
      'bn.weight': flat,
      'bn.bias': flat,
      'sub.param1': flat,
      'sub.conv1.bias': flat,
      'sub.gn.weight': flat,
      'sub.gn.bias': flat,
    })
  })

  it('all together follow the precedence norm > bias > dwconv > flat (MMEngine TestBuilder)', () => {
    const r = run({
      bias_lr_mult: 2,
      bias_decay_mult: 0.5,
      norm_decay_mult: 0,
      dwconv_decay_mult: 0.1,
      flat_decay_mult: 0.3,
    })
    expect(effective(r)).toEqual({
      param1: [0.01, 0.9 * 0.3],
      'conv1.weight': [0.01, 0.9],
      'conv2.weight': [0.01, 0.9],
      'conv2.bias': [0.02, 0.45],
      'bn.weight': [0.01, 0],
      'bn.bias': [0.01, 0],
      'sub.param1': [0.01, 0.9 * 0.3],
      'sub.conv1.weight': [0.01, 0.9 * 0.1],
      'sub.conv1.bias': [0.02, 0.45],
      'sub.gn.weight': [0.01, 0],
      'sub.gn.bias': [0.01, 0],
    })
    expect(effective(r)['param1']![1]).toBe(0.27)
  })

  it(
    'dcn: the offset conv takes dcn_offset_lr_mult and none of the bias / flat ' +
      'rules; the DCN own bias is a plain bias',
    () => {
      const dcn: ModelInfo = {
        params: [
          param('dcn.weight', [4, 3, 3, 3], { type: 'DeformConv2dPack' }),
          param('dcn.bias', [4], { type: 'DeformConv2dPack' }),
          param('dcn.conv_offset.weight', [18, 3, 3, 3], { type: 'Conv2d', inChannels: 3 }, { inDcn: true }),
          param('dcn.conv_offset.bias', [18], { type: 'Conv2d', inChannels: 3 }, { inDcn: true }),
        ],
      }
      const r = run({ bias_lr_mult: 2, bias_decay_mult: 0.5, flat_decay_mult: 0.3, dcn_offset_lr_mult: 0.1 }, dcn)
      expect(r.groups).toEqual([
        { params: ['dcn.weight'] },
        { params: ['dcn.bias'], lr: 0.02, weight_decay: 0.45 },
        { params: ['dcn.conv_offset.weight'], lr: 0.01 * 0.1 },
        { params: ['dcn.conv_offset.bias'], lr: 0.01 * 0.1 },
      ])
      // Without dcn_offset_lr_mult the offset bias keeps the base lr (inside a DCN, not a "bias").
      expect(run({ bias_lr_mult: 2 }, dcn).groups[3]).toEqual({ params: ['dcn.conv_offset.bias'] })
    },
  )

  it('a module listing a norm base class is a norm (isinstance)', () => {
    const model: ModelInfo = { params: [param('ln.weight', [8, 1, 1], { type: 'LayerNorm2d', bases: ['LayerNorm'] })] }
    expect(run({ norm_decay_mult: 0 }, model).groups).toEqual([{ params: ['ln.weight'], weight_decay: 0 }])
  })
})

describe('defaultConstructor: a matching custom key wins and skips every other rule', () => {
  it('conv2.bias under a custom key gets neither bias_lr_mult nor bias_decay_mult', () => {
    const r = run({
      custom_keys: { conv2: { decay_mult: 0.5 } },
      bias_lr_mult: 2,
      bias_decay_mult: 0,
      flat_decay_mult: 0,
    })
    const g = byName(r.groups)
    expect(g.get('conv2.bias')).toEqual({ params: ['conv2.bias'], lr: 0.01, weight_decay: 0.45, decay_mult: 0.5 })
    expect(g.get('sub.conv1.bias')).toEqual({ params: ['sub.conv1.bias'], lr: 0.02, weight_decay: 0 })
  })

  it('longest key first, alphabetical among equal lengths', () => {
    const r = run({
      custom_keys: {
        bn: { lr_mult: 1 },
        'bn.bias': { lr_mult: 2 },
        'n.bias': { lr_mult: 3 },
        'bn.weig': { lr_mult: 4 },
      },
    })
    const g = byName(r.groups)
    // 'bn.bias' and 'bn.weig' have 7 characters; 'bn.bias' < 'bn.weig'; 'n.bias' (6) loses to 'bn.bias'.
    expect(g.get('bn.bias')!['lr_mult']).toBe(2)
    expect(g.get('bn.weight')!['lr_mult']).toBe(4)
    expect(g.get('sub.gn.bias')!['lr_mult']).toBe(3)
    expect(r.warnings).toEqual([
      "custom_keys 'bn' applies to no parameter: a longer key wins wherever it matches " +
        "(e.g. 'bn.weig' for 'bn.weight')",
    ])
  })

  it('matches root-level parameters as "." + name (the leading-dot quirk)', () => {
    const r = run({ custom_keys: { '.param1': { lr_mult: 3 } } })
    const g = byName(r.groups)
    expect(g.get('param1')!['lr']).toBe(0.01 * 3)
    // 'sub.param1' contains '.param1' as well.
    expect(g.get('sub.param1')!['lr']).toBe(0.01 * 3)
    const noDot = run({ custom_keys: { '.conv1.weight': { lr_mult: 3 } } })
    expect(byName(noDot.groups).get('conv1.weight')).toEqual({ params: ['conv1.weight'] })
    expect(byName(noDot.groups).get('sub.conv1.weight')!['lr']).toBe(0.01 * 3)
  })

  it('flags such as lars_exclude and fix_lr are copied, and an lr key overrides the computed lr', () => {
    const r = run({
      custom_keys: {
        bn: { decay_mult: 0, lars_exclude: true },
        predictor: { fix_lr: true },
        conv2: { lr: 0.5, lr_mult: 2 },
      },
    })
    const g = byName(r.groups)
    expect(g.get('bn.weight')).toEqual({
      params: ['bn.weight'],
      lr: 0.01,
      weight_decay: 0,
      decay_mult: 0,
      lars_exclude: true,
    })
    expect(g.get('conv2.weight')).toEqual({ params: ['conv2.weight'], lr: 0.5, weight_decay: 0.9, lr_mult: 2 })
    expect(r.log).toContain('paramwise_options -- bn.weight:lars_exclude=True')
  })

  it('MMEngine test_ger_lr: custom key conv1.weight on three convs', () => {
    const convs: ModelInfo = {
      params: [1, 2, 3].flatMap((i) => [
        param(`conv${i}.weight`, [1, 1, 1, 1], { type: 'Conv2d', inChannels: 1, groups: 1 }),
        param(`conv${i}.bias`, [1], { type: 'Conv2d', inChannels: 1, groups: 1 }),
      ]),
    }
    const r = run({ custom_keys: { 'conv1.weight': { lr_mult: 0.1 } } }, convs, { type: 'SGD', lr: 0.1 })
    expect(withDefaults(r.groups, { lr: 0.1 }).map((g) => g['lr'])).toEqual([0.1 * 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
  })
})

describe('defaultConstructor: frozen and shared parameters', () => {
  it('skips frozen parameters with a warning', () => {
    const model = exampleModel((p) =>
      p.name === 'conv1.weight' || p.name === 'param1' ? { ...p, requiresGrad: false } : p,
    )
    const r = run({ bias_lr_mult: 2 }, model)
    expect(r.groups.map((g) => g.params[0])).toEqual(exampleNames.filter((n) => n !== 'conv1.weight' && n !== 'param1'))
    expect(r.warnings).toEqual([
      '.param1 is skipped since its requires_grad=False',
      'conv1.weight is skipped since its requires_grad=False',
    ])
  })

  const shared = (): ModelInfo => {
    const model = exampleModel()
    return {
      params: [
        ...model.params,
        param('conv3.0.weight', [4, 3, 1, 1], { type: 'Conv2d', inChannels: 3 }, { sameTensorAs: 'conv1.weight' }),
      ],
    }
  }

  it('a shared tensor is the torch error "some parameters appear in more than one parameter group"', () => {
    expect(issues({ bias_lr_mult: 2 }, shared())).toEqual([
      {
        path: 'optim_wrapper.paramwise_cfg.bypass_duplicate',
        message:
          `'conv3.0.weight' is the same tensor as 'conv1.weight': torch raises "some ` +
          `parameters appear in more than one parameter group"; set bypass_duplicate=True ` +
          `to skip it`,
      },
    ])
  })

  it('bypass_duplicate skips it with a warning: 11 groups', () => {
    const r = run({ bias_lr_mult: 2, bypass_duplicate: true }, shared())
    expect(r.groups).toHaveLength(11)
    expect(r.warnings).toEqual([
      'conv3.0 is duplicate. It is skipped since bypass_duplicate=True ' +
        "('conv3.0.weight' is the same tensor as 'conv1.weight')",
    ])
  })

  it('a frozen shared tensor is skipped as frozen, not as a duplicate', () => {
    const model = shared()
    const frozen = {
      params: model.params.map((p) =>
        p.name === 'conv1.weight' || p.name === 'conv3.0.weight' ? { ...p, requiresGrad: false } : p,
      ),
    }
    const r = run({ bias_lr_mult: 2 }, frozen)
    expect(r.groups).toHaveLength(10)
    expect(r.warnings).toEqual([
      'conv1.weight is skipped since its requires_grad=False',
      'conv3.0.weight is skipped since its requires_grad=False',
    ])
  })

  it('validates the model description', () => {
    const bad: ModelInfo = {
      params: [
        param('a.weight', [2], { type: 'Linear' }),
        param('a.weight', [2], { type: 'Linear' }),
        param('b.weight', [3], { type: 'Linear' }, { sameTensorAs: 'zzz' }),
      ],
    }
    expect(issues({ bias_lr_mult: 2 }, bad).map((i) => i.path)).toEqual([
      'model.params[1].name',
      'model.params[2].sameTensorAs',
    ])
  })
})

describe('defaultConstructor: base_wd None (no optimizer.weight_decay)', () => {
  const noWd = { type: 'SGD', lr: 0.01 }

  it('a decay_mult in custom_keys is a ValueError', () => {
    expect(issues({ custom_keys: { sub: { lr_mult: 0.1, decay_mult: 0 } } }, exampleModel(), noWd)).toEqual([
      {
        path: 'optim_wrapper.paramwise_cfg.custom_keys.sub.decay_mult',
        message: 'needs optimizer.weight_decay (MMEngine: ValueError "base_wd should not be None")',
      },
    ])
  })

  it('bias_decay_mult, norm_decay_mult and dwconv_decay_mult are ValueErrors, even None', () => {
    for (const key of ['bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult']) {
      expect(issues({ [key]: 0.5 }, exampleModel(), noWd).map((i) => i.path)).toEqual([
        `optim_wrapper.paramwise_cfg.${key}`,
      ])
      expect(issues({ [key]: null }, exampleModel(), noWd).map((i) => i.path)).toEqual([
        `optim_wrapper.paramwise_cfg.${key}`,
      ])
    }
  })

  it('flat_decay_mult is not checked and has no effect; groups get the optimizer default weight decay', () => {
    const r = run({ flat_decay_mult: 0.3, custom_keys: { param1: { lr_mult: 10 } } }, exampleModel(), noWd)
    expect(r.groups.every((g) => !Object.hasOwn(g, 'weight_decay'))).toBe(true)
    expect(withDefaults(r.groups, { lr: 0.01, weight_decay: 0 }).map((g) => g['weight_decay'])).toEqual(
      exampleNames.map(() => 0),
    )
    expect(byName(r.groups).get('param1')).toEqual({ params: ['param1'], lr: 0.1, lr_mult: 10 })
  })

  it('weight_decay: 0 is a base weight decay (not None)', () => {
    const r = run({ norm_decay_mult: 0.5 }, exampleModel(), { type: 'SGD', lr: 0.01, weight_decay: 0 })
    expect(byName(r.groups).get('bn.weight')).toEqual({ params: ['bn.weight'], weight_decay: 0 })
  })
})

describe('defaultConstructor: config problems', () => {
  it('reports wrong types with paths', () => {
    expect(issues({ custom_keys: ['bn'] }).map((i) => i.path)).toEqual(['optim_wrapper.paramwise_cfg.custom_keys'])
    expect(issues({ custom_keys: { bn: 0 } }).map((i) => i.path)).toEqual([
      'optim_wrapper.paramwise_cfg.custom_keys.bn',
    ])
    expect(issues({ custom_keys: { bn: { lr_mult: '2' } } }).map((i) => i.path)).toEqual([
      'optim_wrapper.paramwise_cfg.custom_keys.bn.lr_mult',
    ])
    expect(issues({ bias_lr_mult: 'x' }).map((i) => i.path)).toEqual(['optim_wrapper.paramwise_cfg.bias_lr_mult'])
    expect(issues('bn').map((i) => i.path)).toEqual(['optim_wrapper.paramwise_cfg'])
    expect(issues({ bias_lr_mult: 2 }, exampleModel(), 'SGD').map((i) => i.path)).toEqual(['optim_wrapper.optimizer'])
  })

  it('an lr multiplier without optimizer.lr is an issue (None * mult)', () => {
    expect(
      issues({ bias_lr_mult: 2 }, exampleModel(), { type: 'AdamW', weight_decay: 0.05 }).map((i) => i.path),
    ).toEqual(['optim_wrapper.optimizer.lr'])
    // Without an lr rule that applies, a missing lr is fine (the optimizer default fills it).
    expect(run({ norm_decay_mult: 0 }, exampleModel(), { type: 'AdamW', weight_decay: 0.05 }).groups).toHaveLength(11)
  })

  it('warns about options this constructor does not read, top-level lr_mult and decay_mult among them', () => {
    expect(run({ lr_mult: 2, decay_mult: 0, layer_decay_rate: 0.5 }).warnings).toEqual([
      'paramwise_cfg.lr_mult has no effect: DefaultOptimWrapperConstructor reads ' +
        'lr_mult only inside custom_keys entries (the MMEngine docs list it at top ' +
        'level; spec §15 item 4)',
      'paramwise_cfg.decay_mult has no effect: DefaultOptimWrapperConstructor reads ' +
        'decay_mult only inside custom_keys entries (the MMEngine docs list it at top ' +
        'level; spec §15 item 4)',
      'paramwise_cfg.layer_decay_rate has no effect: DefaultOptimWrapperConstructor does not read it',
    ])
  })

  it('honours a custom issue path', () => {
    const r = defaultConstructor(sgd, { bias_lr_mult: 'x' }, exampleModel(), { path: 'optim_wrapper.generator' })
    expect(r._tag === 'Left' && r.left[0]!.path).toBe('optim_wrapper.generator.paramwise_cfg.bias_lr_mult')
  })
})
