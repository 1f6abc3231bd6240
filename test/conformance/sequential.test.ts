import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../src/tensor/cpu.js'
import { replayComponent } from './mmselfsup.js'
import { fieldTable, normalise, quantityOf } from './stepFields.js'

// biome-ignore lint/suspicious/noExplicitAny: the tampering edits reach into records of every shape
type Json = { [key: string]: any }

const folder = nodePath.join(import.meta.dirname, '..', 'fixtures', 'conformance', 'mmselfsup')
/** Scenarios of parts this checkout may not have yet (ODCMemory), outside the fixtures npm run conformance replays. */
const load = (name: string): Json => JSON.parse(fs.readFileSync(nodePath.join(folder, `${name}.json`), 'utf8'))
const own = fs
  .readdirSync(folder)
  .filter((f) => f.startsWith('own_') && f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort()

/** `field → 'STATUS detail'` of a replay. */
const statusOf = async (scenario: Json) =>
  Object.fromEntries((await replayComponent(scenario)).map((c) => [c.field, `${c.status} ${c.detail}`]))
const failed = async (scenario: Json) =>
  (await replayComponent(scenario)).filter((c) => c.status !== 'PASS').map((c) => c.field)

/** A deep copy of a scenario with `edit` applied. */
const tampered = (name: string, edit: (s: Json) => void): Json => {
  const s = structuredClone(load(name))
  edit(s)
  return s
}

beforeAll(useCpu)

describe('the sequential replay on the project’s own scenarios (NOT recorded from MMSelfSup)', () => {
  it('takes LARS, the hooks, MoCo/DenseCL queues, SwAVLoss with a queue and ODCMemory; all pass', async () => {
    expect(own).toEqual([
      'own_deepcluster_hook',
      'own_deepcluster_hook_init_memory',
      'own_densecl_hook',
      'own_densecl_queues',
      'own_lars_exclude_groups',
      'own_lars_nesterov',
      'own_moco_queue',
      'own_odc_hook',
      'own_odc_memory',
      'own_simsiam_hook_by_epoch',
      'own_simsiam_hook_by_iter',
      'own_swav_hook',
      'own_swav_loss_queue',
    ])
    for (const name of own) {
      const s = load(name)
      expect(s['notes'][0]).toMatch(/^NOT recorded from MMSelfSup/)
      const checks = await replayComponent(s)
      expect(checks.filter((c) => c.status !== 'PASS')).toEqual([])
      // One check per recorded step field and output: every field of every record is checked.
      const stepFields = new Set(
        ((s['steps'] ?? []) as Json[]).flatMap((r) =>
          Object.keys(r).filter(
            (k) =>
              !['step', 'event', 'epoch', 'iter', 'batch_idx', 'idx', 'grads', 'keys', 'feature', 'cinds'].includes(k),
          ),
        ),
      )
      expect(checks.map((c) => c.field).sort()).toEqual(
        [
          ...[...stepFields].map((f) => `steps.${f}`),
          ...Object.keys(s['outputs'] ?? {}).map((k) => `outputs.${k}`),
        ].sort(),
      )
    }
  })

  it('are exactly what generate.ts writes (no hand-edited expected values)', () => {
    const out = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-own-selfsup-'))
    const tsx = nodePath.join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx')
    const run = spawnSync(tsx, [nodePath.join(folder, 'generate.ts')], {
      encoding: 'utf8',
      env: { ...process.env, OUT: out },
    })
    expect(run.status, run.stderr).toBe(0)
    expect(fs.readdirSync(out).sort()).toEqual(own.map((n) => `${n}.json`))
    for (const name of own)
      expect(fs.readFileSync(nodePath.join(out, `${name}.json`), 'utf8')).toBe(
        fs.readFileSync(nodePath.join(folder, `${name}.json`), 'utf8'),
      )
  }, 60_000)
})

describe('LARS: each recorded quantity fails when it disagrees', () => {
  const name = 'own_lars_exclude_groups'
  it('a parameter, an update, a momentum buffer, an lr after a generator event, a final parameter', async () => {
    const s = tampered(name, (s) => {
      s['steps'][0]['params']['head.fc.weight']['values'][2] += 2e-4
      s['steps'][1]['update']['backbone.conv.weight']['values'][0] *= 1.01
      s['steps'][3]['momentum_buffer']['head.fc.bias']['values'][1] += 1e-3
      s['steps'][2]['lr'][1] = 0.05 * (1 + 1e-9)
      s['outputs']['final_params']['backbone.bn.weight']['values'][0] -= 1e-3
    })
    const st = await statusOf(s)
    expect(st['steps.params']).toMatch(/^FAIL step 1 \(step\): .* at head\.fc\.weight/)
    expect(st['steps.update']).toMatch(/^FAIL step 2 \(step\): .* at backbone\.conv\.weight/)
    expect(st['steps.momentum_buffer']).toMatch(/^FAIL step 4 \(step\): .* at head\.fc\.bias/)
    expect(st['steps.lr']).toMatch(/^FAIL step 3 \(generator_set_lr\): 0\.05 ≠ 0\.050000000/)
    expect(st['outputs.final_params']).toMatch(/^FAIL .* at backbone\.bn\.weight/)
  })

  it('LARS local lrs and norms, compared as the float32 values they are; null where LARS takes no norm', async () => {
    const off = (factor: number) => tampered(name, (s) => (s['steps'][0]['local_lr']['backbone.conv.weight'] *= factor))
    expect((await statusOf(off(1 + 1e-6)))['steps.local_lr']).toBe('PASS ')
    expect((await statusOf(off(1 + 1e-3)))['steps.local_lr']).toMatch(/^FAIL step 1 \(step\): .* at backbone\.conv/)
    const excluded = tampered(name, (s) => (s['steps'][0]['grad_norm']['backbone.bn.weight'] = 0.5))
    expect((await statusOf(excluded))['steps.grad_norm']).toMatch(/^FAIL step 1 \(step\): expected a tensor/)
    const noGrad = tampered(name, (s) => (s['steps'][1]['local_lr']['backbone.bn.bias'] = 1))
    expect((await statusOf(noGrad))['steps.local_lr']).toMatch(/^FAIL step 2 \(step\): expected a tensor/)
  })

  it('param groups as torch numbers them, with lars_exclude where the config set it', async () => {
    const s = tampered(name, (s) => (s['steps'][4]['param_groups'][1]['lars_exclude'] = false))
    expect((await statusOf(s))['steps.param_groups']).toMatch(
      /^FAIL step 5 \(step\): true ≠ false at \[1\]\.lars_exclude/,
    )
    const moved = tampered(name, (s) => (s['steps'][0]['param_groups'][0]['params'] = [0, 2]))
    expect((await statusOf(moved))['steps.param_groups']).toMatch(/^FAIL step 1 \(step\): 1 ≠ 2 at \[0\]\.params\[1\]/)
  })

  it('a buffer recorded as absent, and a wrong formula (eta, lars_exclude)', async () => {
    const s = tampered(name, (s) => {
      s['steps'][1]['momentum_buffer']['backbone.bn.bias'] = null
    })
    expect((await statusOf(s))['steps.momentum_buffer']).toMatch(/^FAIL step 2 \(step\): expected null/)
    expect(await failed(tampered(name, (s) => (s['component']['config']['eta'] = 0.0505)))).toContain('steps.params')
    const excluded = tampered(name, (s) => (s['component']['config']['param_groups'][1]['lars_exclude'] = false))
    expect(await failed(excluded)).toContain('steps.params')
  })

  it('fails an unknown step field, an unfed input, an undescribed generator event, an unknown event', async () => {
    const s = tampered(name, (s) => {
      s['steps'][1]['invented_state'] = 1
      s['inputs']['unused_input'] = [1, 2]
    })
    const st = await statusOf(s)
    expect(st['steps.invented_state']).toMatch(/no row of the mapping table/)
    expect(st['inputs.unused_input']).toMatch(/^FAIL an input the optimizer replay does not feed/)
    const undescribed = tampered(name, (s) => delete s['inputs']['generator_set_lr'])
    expect((await statusOf(undescribed))['steps.lr']).toMatch(/inputs does not describe what generator_set_lr does/)
    const unknownEvent = tampered(name, (s) => (s['steps'][0]['event'] = 'backward'))
    expect((await statusOf(unknownEvent))['steps.params']).toMatch(/an optimizer has no call "backward"/)
    const badArgument = tampered(name, (s) => (s['component']['config']['trust_coef'] = 0.1))
    const st2 = await statusOf(badArgument)
    expect(st2['steps.params']).toMatch(/^FAIL component\.config: optimizer.*trust_coef/)
  })
})

describe('generator actions in the forms inputs may give them', () => {
  it('a bare per-group list per occurrence, {value}, a group index, a group that does not exist', async () => {
    const bare = tampered('own_lars_exclude_groups', (s) => (s['inputs']['generator_set_lr'] = [[0.1, 0.05]]))
    expect(await failed(bare)).toEqual([])
    const byGroup = tampered('own_lars_nesterov', (s) => (s['inputs']['generator_events'][0]['group'] = 0))
    expect(await failed(byGroup)).toEqual([])
    const value = tampered('own_lars_exclude_groups', (s) => (s['inputs']['generator_set_lr'] = { value: [0.1, 0.05] }))
    expect(await failed(value)).toEqual([])
    const scaled = tampered('own_lars_nesterov', (s) => {
      const { gamma, ...entry } = s['inputs']['generator_events'][0]
      s['inputs']['generator_events'][0] = { ...entry, value: gamma }
    })
    expect(await failed(scaled)).toEqual([])
    const noGroup = tampered('own_lars_nesterov', (s) => (s['inputs']['generator_events'][0]['group'] = 1))
    expect((await statusOf(noGroup))['steps.lr']).toMatch(/group 1 is not a group \(1\)/)
    const wrongScale = tampered('own_lars_nesterov', (s) => (s['inputs']['generator_events'][0]['gamma'] = 0.2))
    expect(await failed(wrongScale)).toEqual([
      'steps.params',
      'steps.update',
      'steps.momentum_buffer',
      'steps.lr',
      'steps.local_lr',
      'steps.weight_norm',
      'outputs.final_params',
      'outputs.final_lr',
    ])
  })
})

describe('hooks: each recorded quantity fails when it disagrees', () => {
  it('SimSiamHook lrs, DenseCLHook loss_lambda (the model’s and the hook’s)', async () => {
    const simsiam = tampered('own_simsiam_hook_by_epoch', (s) => (s['steps'][2]['param_group_lrs'][1] = 0.1))
    expect((await statusOf(simsiam))['steps.param_group_lrs']).toMatch(/^FAIL step 2 \(after_train_iter\)/)
    const densecl = tampered('own_densecl_hook', (s) => {
      s['steps'][2]['model.loss_lambda'] = 0.7
      s['steps'][3]['hook.loss_lambda'] = 0.5
    })
    const st = await statusOf(densecl)
    expect(st['steps.model.loss_lambda']).toMatch(/^FAIL step 2 \(before_train_iter\): 0 ≠ 0\.7/)
    expect(st['steps.hook.loss_lambda']).toMatch(/^FAIL step 3 \(before_train_iter\): 0\.7 ≠ 0\.5/)
  })

  it('counters a record leaves out advance as MMEngine’s loop advances them', async () => {
    const s = load('own_densecl_hook')
    const steps = [
      { event: 'before_train', 'model.loss_lambda': 0.7 },
      ...[0, 0, 0.7, 0.7].flatMap((lambda) => [
        { event: 'before_train_iter', 'model.loss_lambda': lambda },
        { event: 'after_train_iter' },
      ]),
    ]
    expect(await statusOf({ ...s, steps })).toEqual({ 'steps.model.loss_lambda': 'PASS ' })
    const wrong = steps.map((st, i) => (i === 5 ? { ...st, 'model.loss_lambda': 0 } : st))
    expect((await statusOf({ ...s, steps: wrong }))['steps.model.loss_lambda']).toMatch(/^FAIL step 5 .* 0\.7 ≠ 0/)
    // `<name>_before`: the state the call started from (λ is still 0 when iteration 2 starts).
    const startingFrom = (value: number) =>
      steps.map((st, i) => (i === 5 ? { ...st, 'model.loss_lambda_before': value } : st))
    expect((await statusOf({ ...s, steps: startingFrom(0) }))['steps.model.loss_lambda_before']).toBe('PASS ')
    expect((await statusOf({ ...s, steps: startingFrom(0.7) }))['steps.model.loss_lambda_before']).toMatch(/0 ≠ 0\.7/)
  })

  it('SwAVHook queue (contents, shape, absence), queue length, use_queue and requires_grad', async () => {
    const s = tampered('own_swav_hook', (s) => {
      s['steps'][5]['head.loss.queue'] = null
      s['steps'][5]['queue_shape'] = [2, 15, 3]
      s['steps'][0]['hook.queue_length'] = 30
      s['steps'][5]['head.loss.use_queue'] = true
      s['steps'][2]['requires_grad']['head.prototypes.weight'] = true
    })
    const st = await statusOf(s)
    expect(st['steps.head.loss.queue']).toMatch(/^FAIL step 5 \(before_train_epoch\): expected null/)
    expect(st['steps.queue_shape']).toMatch(/^FAIL step 5 \(before_train_epoch\): 12 ≠ 15 at \[1\]/)
    expect(st['steps.hook.queue_length']).toMatch(/^FAIL step 0 \(before_run\): 24 ≠ 30/)
    expect(st['steps.head.loss.use_queue']).toMatch(/^FAIL step 5 \(before_train_epoch\): false ≠ true/)
    expect(st['steps.requires_grad']).toMatch(/^FAIL step 2 \(before_train_iter\): false ≠ true at head\.prototypes/)
    const contents = tampered('own_swav_hook', (s) => (s['steps'][5]['head.loss.queue']['values'][7] = 0.5))
    expect((await statusOf(contents))['steps.head.loss.queue']).toMatch(/^FAIL step 5 .* at element 7/)
  })

  it('reads the runner’s groups from inputs.optimizer too; other optimizer keys there fail', async () => {
    const moved = tampered('own_simsiam_hook_by_iter', (s) => {
      s['inputs']['optimizer'] = { param_groups: s['inputs']['param_groups'] }
      delete s['inputs']['param_groups']
    })
    expect(await failed(moved)).toEqual([])
    const typed = tampered('own_simsiam_hook_by_iter', (s) => (s['inputs']['optimizer'] = { type: 'SGD' }))
    expect((await statusOf(typed))['inputs.optimizer.type']).toMatch(/^FAIL an input the hook replay does not feed/)
  })

  it('a stage that is no stage, an unknown hook argument, and an input no hook reads fail', async () => {
    const s = tampered('own_densecl_hook', (s) => {
      s['steps'][1]['event'] = 'before_iter'
      s['inputs']['runner_mode'] = 'train'
    })
    const st = await statusOf(s)
    expect(st['steps.model.loss_lambda']).toMatch(/"before_iter" is not a hook stage/)
    expect(st['inputs.runner_mode']).toMatch(/^FAIL an input the hook replay does not feed/)
    const runner = tampered('own_swav_hook', (s) => {
      s['inputs']['runner'] = { ...s['inputs']['runner'], rank: 0, epoch: 0, iter: 0, work_dir: 'work' }
    })
    expect(await failed(runner)).toEqual([])
    const runnerKey = tampered('own_swav_hook', (s) => (s['inputs']['runner']['work_dir_queue'] = 'queue.pth'))
    expect((await statusOf(runnerKey))['inputs.runner.work_dir_queue']).toMatch(/^FAIL an input the hook replay/)
    const selected = tampered('own_swav_hook', (s) => (s['steps'][3]['prototypes_requires_grad'] = true))
    expect((await statusOf(selected))['steps.prototypes_requires_grad']).toMatch(/^FAIL step 3 .*false ≠ true/)
    const badArg = tampered('own_densecl_hook', (s) => (s['component']['config']['start_iter'] = 3))
    expect((await statusOf(badArg))['steps.model.loss_lambda']).toMatch(/^FAIL component\.config: .*start_iter/)
  })
})

describe('DeepClusterHook and ODCHook: each recorded quantity fails when it disagrees', () => {
  it('pseudo-labels, the histogram and its log line, files, head redraws, the sampler flag, loss weights', async () => {
    const s = tampered('own_deepcluster_hook', (s) => {
      s['steps'][3]['dataset.clustering_labels']['values'][1] = 1
      s['steps'][0]['histogram']['values'] = [3, 2, 1]
      s['steps'][3]['empty_num'] = 0
      s['steps'][2]['saved_files'] = ['cluster_epoch_0.npy', 'cluster_epoch_2.npy']
      s['steps'][1]['head_init_weights_calls'] = 2
      s['steps'][0]['sampler.unif_sampling_flag'] = false
      s['steps'][0]['model.loss_weight']['values'][0] = 0.5
    })
    const st = await statusOf(s)
    expect(st['steps.dataset.clustering_labels']).toMatch(/^FAIL step 3 \(after_train_epoch\): 0 ≠ 1 at element 1/)
    expect(st['steps.histogram']).toMatch(/^FAIL step 0 \(before_train\)/)
    expect(st['steps.empty_num']).toMatch(/^FAIL step 3 \(after_train_epoch\): 1 ≠ 0/)
    expect(st['steps.saved_files']).toMatch(/^FAIL step 2 \(after_train_epoch\)/)
    expect(st['steps.head_init_weights_calls']).toMatch(/^FAIL step 1 \(after_train_epoch\): 1 ≠ 2/)
    expect(st['steps.sampler.unif_sampling_flag']).toMatch(/^FAIL step 0 \(before_train\): true ≠ false/)
    expect(st['steps.model.loss_weight']).toMatch(/^FAIL step 0 \(before_train\)/)
  })

  it('a wrong interval or initial flag in the config moves the clusterings, and the records fail', async () => {
    const every = tampered('own_deepcluster_hook', (s) => (s['component']['config']['interval'] = 1))
    expect(await failed(every)).toContain('steps.saved_files')
    const noInitial = tampered('own_deepcluster_hook', (s) => (s['component']['config']['initial'] = false))
    expect((await statusOf(noInitial))['steps.dataset.clustering_labels']).toMatch(/^FAIL step 0 \(before_train\)/)
  })

  it('the memory init_memory fills, and the weights reweight gives', async () => {
    const s = tampered('own_deepcluster_hook_init_memory', (s) => {
      s['steps'][0]['memory_bank.centroids']['values'][3] += 1e-3
      s['steps'][0]['memory_bank.feature_bank']['values'][0] *= 2
      s['component']['config']['reweight_pow'] = 1
    })
    const st = await statusOf(s)
    expect(st['steps.memory_bank.centroids']).toMatch(/^FAIL step 0 \(before_train\): .* at element 3/)
    expect(st['steps.memory_bank.feature_bank']).toMatch(/^FAIL step 0 \(before_train\): .* at element 0/)
    expect(st['steps.model.loss_weight']).toMatch(/^FAIL step 0 \(before_train\)/)
    const noMemory = tampered('own_deepcluster_hook_init_memory', (s) => delete s['inputs']['model'])
    expect((await statusOf(noMemory))['steps.memory_bank.label_bank']).toMatch(
      /init_memory: the model has no ODC memory/,
    )
  })

  it('ODCHook: centroids, small clusters, class weights, the histogram line and the cluster file cadence', async () => {
    const s = tampered('own_odc_hook', (s) => {
      s['steps'][5]['memory_bank.label_bank']['values'][4] = 1
      s['steps'][3]['memory_bank.centroids']['values'][0] += 1e-3
      s['steps'][7]['head.loss.class_weight']['values'][0] = 0.3
      s['steps'][3]['max_cluster'] = 4
      s['steps'][9]['saved_files'] = ['cluster_epoch_9.npy']
    })
    const st = await statusOf(s)
    expect(st['steps.memory_bank.label_bank']).toMatch(/^FAIL step 5 \(after_train_iter\): 2 ≠ 1 at element 4/)
    expect(st['steps.memory_bank.centroids']).toMatch(/^FAIL step 3 \(after_train_iter\): .* at element 0/)
    expect(st['steps.head.loss.class_weight']).toMatch(/^FAIL step 7 \(after_train_iter\)/)
    expect(st['steps.max_cluster']).toMatch(/^FAIL step 3 \(after_train_iter\): 5 ≠ 4/)
    expect(st['steps.saved_files']).toMatch(/^FAIL step 9 \(after_train_epoch\)/)
    const rarely = tampered('own_odc_hook', (s) => (s['component']['config']['deal_with_small_clusters_interval'] = 5))
    expect(await failed(rarely)).toContain('steps.memory_bank.label_bank')
    const noUpdates = tampered('own_odc_hook', (s) => delete s['inputs']['feature'])
    expect((await statusOf(noUpdates))['steps.change_ratio']).toMatch(/needs idx and feature/)
  })

  it('fails unknown fields and inputs; SKIPs only what MMSelfSup draws from numpy or torch', async () => {
    const s = tampered('own_deepcluster_hook', (s) => {
      s['steps'][0]['clustering_loss'] = 0.1
      s['inputs']['images'] = [1, 2]
      s['steps'][0]['sampler.indices'] = [0, 1, 2, 3, 4, 5]
      s['steps'][0]['params'] = { 'head.fc_cls.weight': { shape: [1], dtype: 'float32', values: [0.1] } }
    })
    const st = await statusOf(s)
    expect(st['steps.clustering_loss']).toMatch(/^FAIL .*no row of the mapping table/)
    expect(st['inputs.images']).toMatch(/^FAIL an input the hook replay does not feed/)
    expect(st['steps.sampler.indices']).toMatch(/^SKIP MMSelfSup draws the uniform indices from numpy/)
    expect(st['steps.params']).toMatch(/^SKIP the head is redrawn from torch's RNG/)
    const backbone = tampered('own_deepcluster_hook', (s) => {
      s['steps'][0]['params'] = { 'backbone.w': { shape: [1], dtype: 'float32', values: [0.1] } }
    })
    expect((await statusOf(backbone))['steps.params']).toMatch(/^FAIL .*holds no model parameters/)
  })

  it('reads other forms: owned initial_state keys, other names of the forward, `feature`', async () => {
    const owned = tampered('own_odc_hook', (s) => {
      s['initial_state'] = Object.fromEntries(
        Object.entries(s['initial_state']).map(([k, v]) => [`memory_bank.${k}`, v]),
      )
      for (const step of s['steps'])
        if (step['event'] === 'generator_update_samples_memory') step['event'] = 'generator_train_step'
    })
    expect(await failed(owned)).toEqual([])
    const singular = tampered('own_deepcluster_hook', (s) => {
      s['inputs']['feature'] = s['inputs']['features']
      delete s['inputs']['features']
    })
    expect(await failed(singular)).toEqual([])
  })

  it('without scripted labels clusters with loopwright’s k-means; without features it cannot extract', async () => {
    const own = tampered('own_deepcluster_hook', (s) => delete s['inputs']['new_labels'])
    const st = await statusOf(own)
    // The first clustering's groups are well apart: k-means finds them; its numbering decides the labels' check.
    expect(st['steps.saved_files']).toBe('PASS ')
    expect(st['steps.head_init_weights_calls']).toBe('PASS ')
    const none = tampered('own_deepcluster_hook', (s) => delete s['inputs']['features'])
    expect((await statusOf(none))['steps.histogram']).toMatch(/inputs\.features: no features for extraction 1/)
  })
})

describe('MoCo and DenseCL key queues', () => {
  it('fail on a wrong pointer or column, a config that does not fit, keys that do not divide the queue', async () => {
    const s = tampered('own_moco_queue', (s) => {
      s['steps'][2]['queue_ptr']['values'][0] = 4
      s['steps'][3]['queue']['values'][5] += 1e-3
    })
    const st = await statusOf(s)
    expect(st['steps.queue_ptr']).toMatch(/^FAIL step 2 \(_dequeue_and_enqueue\): 0 ≠ 4/)
    expect(st['steps.queue']).toMatch(/^FAIL step 3 \(_dequeue_and_enqueue\): .* at element 5/)
    const config = tampered('own_densecl_queues', (s) => (s['component']['config']['queue_len'] = 8))
    expect((await statusOf(config))['steps.queue2']).toMatch(/queue_len 8 ≠ the initial queue's 6 columns/)
    const odd = tampered('own_moco_queue', (s) => {
      const keys = s['steps'][0]['keys']
      s['steps'][0]['keys'] = { ...keys, shape: [4, 3], values: [...keys.values, ...keys.values] }
    })
    expect((await statusOf(odd))['steps.queue']).toMatch(/could not be performed: .*not a multiple of the batch size 4/)
  })
})

describe('SwAVLoss with a queue (one call)', () => {
  it('is the same through SwAVHead, whose loss holds the queue at loss.queue', async () => {
    const s = tampered('own_swav_loss_queue', (s) => {
      const config = s['component']['config']
      s['component'] = { type: 'SwAVHead', config: { type: 'SwAVHead', loss: config } }
      s['inputs'] = { pred: s['inputs']['x'], queue: s['inputs']['queue'] }
      s['params'] = { 'loss.prototypes.weight': s['params']['prototypes.weight'] }
      const { prototypes_weight_after, ...outputs } = s['outputs']
      s['outputs'] = { ...outputs, loss_prototypes_weight_after: prototypes_weight_after }
    })
    expect(await statusOf(s)).toEqual({
      'outputs.loss': 'PASS ',
      'outputs.sinkhorn_calls': 'PASS ',
      'outputs.queue_after': 'PASS ',
      'outputs.use_queue': 'PASS ',
      'outputs.loss_prototypes_weight_after': 'PASS ',
    })
  })

  it('fails a wrong queue after the call or use_queue, an input the loss does not take, unloaded state', async () => {
    const s = tampered('own_swav_loss_queue', (s) => {
      s['outputs']['queue_after']['values'][3] += 1e-3
      s['outputs']['use_queue'] = false
      s['inputs']['weight'] = s['inputs']['x']
      s['initial_state'] = { use_queue: true }
    })
    const st = await statusOf(s)
    expect(st['outputs.queue_after']).toMatch(/^FAIL .* at element 3/)
    expect(st['outputs.use_queue']).toBe('FAIL true ≠ false')
    expect(st['inputs.weight']).toBe("FAIL not an input of loopwright's SwAVLoss")
    expect(st['initial_state.use_queue']).toBe('FAIL state this replay does not load')
    expect(st['outputs.loss']).toBe('PASS ')
  })
})

describe('ODCMemory, and components loopwright does not provide', () => {
  it('replays ODCMemory with loopwright’s port, field by field', async () => {
    const s = load('own_odc_memory')
    const checks = await replayComponent(s)
    expect(checks.map((c) => c.field)).toEqual([
      'steps.feature_bank',
      'steps.label_bank',
      'steps.centroids',
      'steps.change_ratio',
      'steps.histogram',
    ])
    expect(checks.map((c) => `${c.status}${c.detail === '' ? '' : ` ${c.detail}`}`)).toEqual(checks.map(() => 'PASS'))
  })

  it('fails every field of a memory loopwright lacks, or an unknown type, with the reason', async () => {
    const memory = {
      scenario: 'simple_memory_like',
      component: { type: 'SimpleMemory', config: { type: 'SimpleMemory', length: 6, feat_dim: 2, momentum: 0.5 } },
      inputs: {},
      steps: [{ step: 0, event: 'update', idx: [0, 1], feature_bank: null, change_ratio: 0.5 }],
      outputs: { final_centroids: null },
    }
    expect(await statusOf(memory)).toEqual({
      'steps.feature_bank': 'FAIL SimpleMemory not provided',
      'steps.change_ratio': 'FAIL SimpleMemory not provided',
      'outputs.final_centroids': 'FAIL SimpleMemory not provided',
    })
    const unknown = { ...memory, component: { type: 'NoSuchBank', config: { type: 'NoSuchBank' } } }
    expect(Object.values(await statusOf(unknown))).toEqual([
      'FAIL no sequential replay for NoSuchBank (loopwright has no such part)',
      'FAIL no sequential replay for NoSuchBank (loopwright has no such part)',
      'FAIL no sequential replay for NoSuchBank (loopwright has no such part)',
    ])
  })
})

describe('the mapping table (stepFields.ts)', () => {
  it('names each quantity once and normalises owner prefixes and _after', () => {
    const names = fieldTable.flatMap((r) => r.names)
    expect(new Set(names).size).toBe(names.length)
    expect(normalise('head.loss.queue_after')).toBe('queue')
    expect(normalise('runner.model.loss_lambda')).toBe('loss_lambda')
    expect(quantityOf('hook.loss_lambda')).toBe('remembered_loss_lambda')
    expect(quantityOf('model.loss_lambda')).toBe('loss_lambda')
    expect(quantityOf('optimizer.param_groups')).toBe('param_groups')
    expect(quantityOf('something_else')).toBeUndefined()
  })
})
