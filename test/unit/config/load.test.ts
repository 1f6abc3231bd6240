import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Effect } from 'effect'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { load } from '../../../src/config/load.js'
import type { Loaded, LoadOptions } from '../../../src/config/load.js'
import type { ConfigError } from '../../../src/config/Config.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'

let dir = ''

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwright-load-'))
})

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Write a file under the test's temp dir and return its absolute path. */
const write = (name: string, text: string): string => {
  const file = path.join(dir, name)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}

const loaded = async (file: string, options: Partial<LoadOptions> = {}): Promise<Loaded> => {
  const result = await Effect.runPromise(Effect.result(load(file, { registries: defaultRegistries, ...options })))
  if (result._tag === 'Failure') throw new Error(`expected the config to load, got:\n${result.failure.message}`)
  return result.success
}

const failed = async (file: string, options: Partial<LoadOptions> = {}): Promise<ConfigError> => {
  const result = await Effect.runPromise(Effect.result(load(file, { registries: defaultRegistries, ...options })))
  if (result._tag === 'Success') throw new Error(`expected a failure, got ${JSON.stringify(result.success.raw)}`)
  return result.failure
}

const TRAIN_JSON = {
  train_dataloader: { batch_size: 8, dataset: 'ArrayDataset(x, y)' },
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2 },
  optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9 } },
}

describe('load: file formats', () => {
  it('loads a JSON config', async () => {
    const file = write(
      'sgd.json',
      JSON.stringify({ ...TRAIN_JSON, default_hooks: { logger: { type: 'LoggerHook', interval: 1 } } }),
    )
    const result = await loaded(file)
    expect(result.file).toBe(file)
    expect(result.raw).toEqual({ ...TRAIN_JSON, default_hooks: { logger: { type: 'LoggerHook', interval: 1 } } })
    expect(result.config).toEqual(result.raw)
    expect(result.variables).toEqual([])
  })

  it('loads a YAML config (~ is None)', async () => {
    const file = write(
      'runtime.yaml',
      [
        'default_scope: mmselfsup',
        'default_hooks:',
        '  logger:',
        '    type: LoggerHook',
        '    interval: 50',
        '  timer: ~',
        'randomness:',
        '  seed: 0',
        '  deterministic: false',
        'load_from: null',
        '',
      ].join('\n'),
    )
    expect((await loaded(file)).raw).toEqual({
      default_scope: 'mmselfsup',
      default_hooks: { logger: { type: 'LoggerHook', interval: 50 }, timer: null },
      randomness: { seed: 0, deterministic: false },
      load_from: null,
    })
  })

  it('loads a .yml config', async () => {
    expect((await loaded(write('c.yml', 'log_level: DEBUG\n'))).raw).toEqual({ log_level: 'DEBUG' })
  })

  it('loads a .py config and reports its helper variables', async () => {
    const file = write(
      'simsiam.py',
      [
        'lr = 0.05',
        "optimizer = dict(type='SGD', lr=lr, weight_decay=1e-4, momentum=0.9)",
        "optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)",
        "train_dataloader = dict(batch_size=32, dataset='ArrayDataset(x, y)')",
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)",
        "custom_hooks = [dict(type='LoggerHook', priority='HIGH')]",
        '',
      ].join('\n'),
    )
    const result = await loaded(file)
    expect(result.variables).toEqual(['lr', 'optimizer'])
    expect(result.raw).toEqual({
      lr: 0.05,
      optimizer: { type: 'SGD', lr: 0.05, weight_decay: 1e-4, momentum: 0.9 },
      optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.05, weight_decay: 1e-4, momentum: 0.9 } },
      train_dataloader: { batch_size: 32, dataset: 'ArrayDataset(x, y)' },
      train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2 },
      custom_hooks: [{ type: 'LoggerHook', priority: 'HIGH' }],
    })
  })

  it('still rejects a .py helper variable close to a config key', async () => {
    const file = write('typo.py', 'param_schedular = []\n')
    const error = await failed(file)
    expect(error.issues).toEqual([
      { path: 'param_schedular', message: "unknown key (did you mean 'param_scheduler'?)" },
    ])
    expect(error.message).toBe(`${file}: param_schedular: unknown key (did you mean 'param_scheduler'?)`)
  })

  it('rejects helper variables in a JSON config (data configs have none)', async () => {
    const error = await failed(write('vars.json', '{"lr": 0.1}'))
    expect(error.issues).toEqual([{ path: 'lr', message: 'unknown key' }])
  })

  it('reports a .py syntax outside the literal subset with its position, without running it', async () => {
    const file = write('code.py', "log_level = 'INFO'\nimport os\n")
    const error = await failed(file)
    expect(error.issues).toHaveLength(1)
    expect(error.message.startsWith(`${file}: line 2, column 1: `)).toBe(true)
  })

  it('loads a .ts config with a default export (ESM package)', async () => {
    write('package.json', '{ "type": "module" }')
    const file = write(
      'mae.ts',
      "const interval: number = 3\nexport default { log_level: 'INFO', default_hooks: " +
        "{ logger: { type: 'LoggerHook', interval } } }\n",
    )
    const result = await loaded(file)
    expect(result.raw).toEqual({ log_level: 'INFO', default_hooks: { logger: { type: 'LoggerHook', interval: 3 } } })
    expect(result.variables).toEqual([])
  })

  it('loads a .ts config with a default export outside any package.json', async () => {
    const file = write(
      'mae.ts',
      "const interval: number = 3\nexport default { log_level: 'INFO', default_hooks: " +
        "{ logger: { type: 'LoggerHook', interval } } }\n",
    )
    expect((await loaded(file)).raw).toEqual({
      log_level: 'INFO',
      default_hooks: { logger: { type: 'LoggerHook', interval: 3 } },
    })
  })

  it('loads a .ts config with named exports and reports helper variables', async () => {
    const file = write('named.ts', "export const base_lr: number = 0.1\nexport const log_level = 'INFO'\n")
    const result = await loaded(file)
    expect(result.raw).toEqual({ base_lr: 0.1, log_level: 'INFO' })
    expect(result.variables).toEqual(['base_lr'])
  })

  it('loads a .mjs config with named exports', async () => {
    const file = write('named.mjs', "export const lr = 0.1\nexport const work_dir = './work_dirs/x'\n")
    const result = await loaded(file)
    expect(result.raw).toEqual({ lr: 0.1, work_dir: './work_dirs/x' })
    expect(result.variables).toEqual(['lr'])
  })

  it('loads a .mjs config with a default export', async () => {
    const file = write('default.mjs', "export default { log_level: 'WARNING', resume: false }\n")
    expect((await loaded(file)).raw).toEqual({ log_level: 'WARNING', resume: false })
  })

  it('reports a module that fails to load', async () => {
    const file = write('broken.mjs', "throw new Error('boom')\n")
    const error = await failed(file)
    expect(error.issues).toEqual([{ path: '', message: 'the config module failed to load: boom' }])
  })

  it('rejects an unsupported extension', async () => {
    const error = await failed(write('config.txt', 'log_level = INFO'))
    expect(error.issues).toEqual([
      { path: '', message: 'unsupported config file type; use .py, .json, .yaml, .yml, .ts, .js or .mjs' },
    ])
  })

  it('rejects a file whose top level is not a dict', async () => {
    const file = write('list.yaml', '- 1\n- 2\n')
    expect((await failed(file)).message).toBe(`${file}: a config file must hold a dict of config keys at the top level`)
  })

  it('reports decode errors with the file', async () => {
    const file = write(
      'bad.json',
      JSON.stringify({
        ...TRAIN_JSON,
        optim_wrapper: { optimizer: { type: 'SGD', lr: 0.1 }, clip_grad: { max_norm: '0.2x' } },
      }),
    )
    expect((await failed(file)).message).toBe(
      `${file}: optim_wrapper.clip_grad.max_norm: expected a positive number, got "0.2x"`,
    )
  })
})

describe('load: errors never throw', () => {
  it('reports a missing file by name', async () => {
    const file = path.join(dir, 'nowhere.json')
    const error = await failed(file)
    expect(error._tag).toBe('ConfigError')
    expect(error.issues).toEqual([{ path: '', message: 'cannot read the config file: no such file' }])
    expect(error.message).toBe(`${file}: cannot read the config file: no such file`)
  })

  it('reports a missing base by its name', async () => {
    const file = write('child.json', '{"_base_": "./missing_base.json"}')
    expect((await failed(file)).message).toBe(
      `${path.join(dir, 'missing_base.json')}: cannot read the config file: no such file`,
    )
  })

  it('reports invalid JSON on one line', async () => {
    const file = write('broken.json', '{"log_level": "INFO",,}')
    const error = await failed(file)
    expect(error.message.startsWith(`${file}: not valid JSON: `)).toBe(true)
    expect(error.message).not.toContain('\n')
    expect(error.issues).toHaveLength(1)
  })

  it('reports invalid YAML on one line', async () => {
    const file = write('broken.yaml', 'default_hooks: [1, 2\nlog_level: INFO\n')
    const error = await failed(file)
    expect(error.message.startsWith(`${file}: not valid YAML: `)).toBe(true)
    expect(error.message).not.toContain('\n')
    expect(error.issues).toHaveLength(1)
  })
})

describe('load: _base_ inheritance (spec §14.1)', () => {
  it('merges a 2-level chain: the child adjusts max_keep_ckpts and keeps the base’s type and interval', async () => {
    write(
      '_base_/default_runtime.py',
      [
        "default_scope = 'mmselfsup'",
        'default_hooks = dict(',
        "    runtime_info=dict(type='RuntimeInfoHook'),",
        "    logger=dict(type='LoggerHook', interval=50),",
        "    checkpoint=dict(type='CheckpointHook', interval=10))",
        "log_level = 'INFO'",
        '',
      ].join('\n'),
    )
    write('_base_/schedule.py', "_base_ = './default_runtime.py'\ndefault_hooks = dict(logger=dict(interval=20))\n")
    const file = write(
      'simsiam/child.py',
      "_base_ = ['../_base_/schedule.py']\ndefault_hooks = dict(checkpoint=dict(max_keep_ckpts=3))\n",
    )
    const result = await loaded(file)
    expect(result.raw).toEqual({
      default_scope: 'mmselfsup',
      default_hooks: {
        runtime_info: { type: 'RuntimeInfoHook' },
        logger: { type: 'LoggerHook', interval: 20 },
        checkpoint: { type: 'CheckpointHook', interval: 10, max_keep_ckpts: 3 },
      },
      log_level: 'INFO',
    })
    expect(result.variables).toEqual([])
  })

  it('merges a JSON chain the same way, and across formats', async () => {
    write(
      'base/runtime.yaml',
      'default_hooks:\n  checkpoint:\n    type: CheckpointHook\n    interval: 10\nlog_level: INFO\n',
    )
    write('base/mid.json', '{"_base_": "./runtime.yaml", "log_level": "DEBUG"}')
    const file = write(
      'child.json',
      '{"_base_": ["./base/mid.json"], "default_hooks": {"checkpoint": {"max_keep_ckpts": 2}}}',
    )
    expect((await loaded(file)).raw).toEqual({
      default_hooks: { checkpoint: { type: 'CheckpointHook', interval: 10, max_keep_ckpts: 2 } },
      log_level: 'DEBUG',
    })
  })

  it('replaces a base dict with `_delete_=True` and drops the marker', async () => {
    write('base.py', "default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, save_best='auto'))\n")
    const file = write(
      'child.py',
      "_base_ = './base.py'\ndefault_hooks = dict(checkpoint=dict(_delete_=True, " +
        "type='CheckpointHook', max_keep_ckpts=3))\n",
    )
    expect((await loaded(file)).raw).toEqual({
      default_hooks: { checkpoint: { type: 'CheckpointHook', max_keep_ckpts: 3 } },
    })
  })

  it('replaces base lists wholesale', async () => {
    write('base.json', '{"custom_hooks": [{"type": "LoggerHook"}, {"type": "CheckpointHook"}]}')
    const file = write('child.json', '{"_base_": "./base.json", "custom_hooks": [{"type": "IterTimerHook"}]}')
    expect((await loaded(file)).raw).toEqual({ custom_hooks: [{ type: 'IterTimerHook' }] })
  })

  it('rejects two bases that define the same key, naming both', async () => {
    write('x.json', '{"log_level": "INFO"}')
    write('y.json', '{"log_level": "DEBUG"}')
    const file = write('child.json', '{"_base_": ["./x.json", "./y.json"]}')
    const error = await failed(file)
    expect(error.issues).toEqual([
      {
        path: 'log_level',
        message: 'defined by two base configs (./x.json and ./y.json); a key may come from one base only',
      },
    ])
    expect(error.file).toBe(file)
  })

  it('rejects a `_base_` cycle, naming the cycle', async () => {
    write('a.json', '{"_base_": "./b.json"}')
    write('b.json', '{"_base_": "./a.json"}')
    const error = await failed(path.join(dir, 'a.json'))
    expect(error.issues).toEqual([
      { path: '_base_', message: '_base_ inheritance forms a cycle: a.json → b.json → a.json' },
    ])
  })

  it('rejects a file that is its own base', async () => {
    const file = write('self.yaml', '_base_: ./self.yaml\n')
    expect((await failed(file)).issues).toEqual([
      { path: '_base_', message: '_base_ inheritance forms a cycle: self.yaml → self.yaml' },
    ])
  })

  it('rejects a child dict merged into a base scalar, pointing at `_delete_`', async () => {
    write('base.json', '{"work_dir": "./w"}')
    const file = write('child.json', '{"_base_": "./base.json", "work_dir": {"path": "x"}}')
    expect((await failed(file)).issues).toEqual([
      {
        path: 'work_dir',
        message: 'cannot merge a dict into "./w" from the base config; add _delete_=True to replace it',
      },
    ])
  })

  it('rejects a `_base_` that is not a path or a list of paths', async () => {
    expect((await failed(write('c.json', '{"_base_": 3}'))).issues).toEqual([
      { path: '_base_', message: 'expected a path or a list of paths' },
    ])
  })

  it('names the option that resolves an unknown package base (`pkg::path`)', async () => {
    expect((await failed(write('c.json', '{"_base_": "mmcls::_base_/default_runtime.py"}'))).issues).toEqual([
      {
        path: '_base_',
        message:
          "package base 'mmcls::_base_/default_runtime.py' needs the mmcls sources: pass --config-package mmcls=DIR " +
          '(or set LOOPWRIGHT_CONFIG_PACKAGES=mmcls=DIR)',
      },
    ])
  })

  it('reads NAME::a/b.py from DIR/configs/a/b.py, whose own relative bases resolve inside the package', async () => {
    write('pkg/configs/_base_/runtime.py', "default_scope = 'mmcls'\nlog_level = 'INFO'\n")
    write('pkg/configs/_base_/models/net.py', "_base_ = ['../runtime.py']\nmodel = dict(type='ResNet', depth=50)\n")
    const file = write('mine.py', "_base_ = ['mmcls::_base_/models/net.py']\nmodel = dict(depth=18)\n")
    const result = await loaded(file, { packages: new Map([['mmcls', path.join(dir, 'pkg')]]) })
    expect(result.raw).toEqual({ default_scope: 'mmcls', log_level: 'INFO', model: { type: 'ResNet', depth: 18 } })
  })
})

describe('load: predefined variables', () => {
  it('substitutes {{fileBasenameNoExtension}} and friends in JSON text', async () => {
    const file = write(
      'mae_vit-base.json',
      '{"work_dir": "./work_dirs/{{fileBasenameNoExtension}}", "experiment_name": "{{ fileBasename }}{{fileExtname}}"}',
    )
    expect((await loaded(file)).raw).toEqual({
      work_dir: './work_dirs/mae_vit-base',
      experiment_name: 'mae_vit-base.json.json',
    })
  })

  it('substitutes {{fileBasenameNoExtension}} in a .py config', async () => {
    const file = write('simclr_r50.py', "work_dir = './work_dirs/{{fileBasenameNoExtension}}'\n")
    expect((await loaded(file)).raw).toEqual({ work_dir: './work_dirs/simclr_r50' })
  })

  it('substitutes the name of the file that holds the text, not the child’s', async () => {
    write('_base_/runtime.yaml', "work_dir: './work_dirs/{{ fileBasenameNoExtension }}'\n")
    const file = write('child.json', '{"_base_": "./_base_/runtime.yaml"}')
    expect((await loaded(file)).raw).toEqual({ work_dir: './work_dirs/runtime' })
  })
})

describe('load: --cfg-options', () => {
  it('applies options after merging the bases', async () => {
    write('base.json', '{"default_hooks": {"checkpoint": {"type": "CheckpointHook", "interval": 10}}}')
    const file = write(
      'child.json',
      '{"_base_": "./base.json", "default_hooks": {"checkpoint": {"max_keep_ckpts": 2, "interval": 5}}}',
    )
    const result = await loaded(file, {
      cfgOptions: ['default_hooks.checkpoint.interval=4', 'default_hooks.timer=None'],
    })
    expect(result.raw).toEqual({
      default_hooks: { checkpoint: { type: 'CheckpointHook', interval: 4, max_keep_ckpts: 2 }, timer: null },
    })
    expect(result.config).toEqual(result.raw)
  })

  it('edits list elements by index', async () => {
    const file = write(
      'hooks.json',
      '{"custom_hooks": [{"type": "LoggerHook"}, {"type": "CheckpointHook", "priority": "LOW"}]}',
    )
    const result = await loaded(file, { cfgOptions: ['custom_hooks.1.priority=HIGH'] })
    expect(result.raw).toEqual({ custom_hooks: [{ type: 'LoggerHook' }, { type: 'CheckpointHook', priority: 'HIGH' }] })
  })

  it('decodes the result, so a bad option value is reported at its path', async () => {
    const file = write('hooks.json', '{"custom_hooks": [{"type": "LoggerHook"}]}')
    const error = await failed(file, { cfgOptions: ['custom_hooks.0.priority=SUPER'] })
    expect(error.issues).toEqual([
      {
        path: 'custom_hooks[0].priority',
        message:
          'expected a priority name (HIGHEST, VERY_HIGH, HIGH, ABOVE_NORMAL, NORMAL, ' +
          'BELOW_NORMAL, LOW, VERY_LOW, LOWEST) or an integer from 0 to 100, got "SUPER"',
      },
    ])
  })

  it('reports an option that cannot be applied', async () => {
    const file = write('hooks.json', '{"custom_hooks": [{"type": "LoggerHook"}]}')
    const error = await failed(file, { cfgOptions: ['custom_hooks.4.priority=HIGH'] })
    expect(error.issues).toEqual([
      { path: 'custom_hooks[4]', message: '--cfg-options: index 4 is out of range (the list has 1 items)' },
    ])
    expect(error.file).toBe(file)
  })
})
