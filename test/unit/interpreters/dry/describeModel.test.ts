import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { load } from '../../../../src/config/load.js'
import { toProgram } from '../../../../src/config/toProgram.js'
import { describeModel } from '../../../../src/interpreters/dry/describeModel.js'
import { dryRun } from '../../../../src/interpreters/dry/dryRun.js'
import { defaultRegistries } from '../../../../src/interpreters/registries.js'
import { countParams } from '../../../../src/models/ParamSpec.js'
import { useCpu } from '../../../../src/tensor/cpu.js'

beforeAll(useCpu)

const dir = path.resolve('test/fixtures/describe')

/** The plan of a fixture config at 25,600 ImageNet samples (100 batches of 256 per epoch, 2 epochs). */
const planOf = async (name: string) => {
  const loaded = await Effect.runPromise(load(path.join(dir, name), { registries: defaultRegistries }))
  const program = toProgram(loaded.config)
  const plan = await Effect.runPromise(
    dryRun(program, { configName: name, variables: loaded.variables, datasetSizes: { train: 25_600 } }),
  )
  return { plan, model: loaded.config.model }
}

const groupOf = (plan: Awaited<ReturnType<typeof planOf>>['plan'], name: string) =>
  plan.paramGroups!.groups.find((g) => g.params.includes(name))

describe('the dry run describes real-size models and lists their param groups', () => {
  it('SimSiam on ResNet-50: every backbone parameter, and the predictor’s fix_lr group', async () => {
    const { plan, model } = await planOf('simsiam_resnet50.py')
    const described = describeModel(model)
    expect(described._tag === 'Right' && described.right.source).toBe('trainable')
    const info = described._tag === 'Right' ? described.right.info : undefined
    expect(countParams(info!.params.filter((p) => p.name.startsWith('backbone.')))).toBe(23_508_032)
    expect(groupOf(plan, 'head.predictor.fc0.weight')!.hyper['fix_lr']).toBe(true)
    expect(groupOf(plan, 'backbone.layer4.2.conv3.weight')!.hyper['fix_lr']).toBeUndefined()
    expect(plan.paramGroups!.log).toContain('paramwise_options -- head.predictor.fc0.weight:fix_lr=True')
    expect(plan.warnings.filter((w) => w.startsWith('param groups are not shown'))).toEqual([])
    expect(plan.setup).toContain(
      'model (trainable here): backbone 23.5M, neck 12.6M, head 2.1M; 38.2M parameters, 38.2M trained',
    )
  })

  it('BYOL with LARS: BatchNorm, bias and downsample-norm parameters are lars_exclude, no decay', async () => {
    const { plan } = await planOf('byol_resnet50_lars.py')
    for (const name of ['backbone.bn1.weight', 'backbone.layer1.0.downsample.1.bias', 'neck.fc0.bias']) {
      expect(groupOf(plan, name)!.hyper).toMatchObject({ lars_exclude: true, weight_decay: 0 })
    }
    for (const name of ['backbone.conv1.weight', 'backbone.layer3.5.conv2.weight', 'neck.fc0.weight']) {
      expect(groupOf(plan, name)!.hyper['lars_exclude']).toBeUndefined()
      expect(groupOf(plan, name)!.hyper['weight_decay']).toBe(1e-6)
    }
    const excluded = plan.paramGroups!.groups.filter((g) => g.hyper['lars_exclude'] === true)
    // 53 BatchNorms × 2 in the backbone, the neck's BN and two biases, the predictor's.
    expect(excluded.length).toBeGreaterThan(106)
  })

  it('MAE ViT-B/16: fixed position embeddings join no group; norms, biases, tokens have no decay', async () => {
    const { plan, model } = await planOf('mae_vit-base-p16.py')
    const described = describeModel(model)
    expect(described._tag === 'Right' && described.right.source).toBe('described')
    const names = plan.paramGroups!.groups.flatMap((g) => g.params)
    expect(names).not.toContain('backbone.pos_embed')
    expect(names).not.toContain('neck.decoder_pos_embed')
    expect(plan.warnings).toContain('backbone.pos_embed is skipped since its requires_grad=False')
    for (const name of ['backbone.cls_token', 'neck.mask_token', 'backbone.layers.11.ln2.weight', 'neck.ln1.bias'])
      expect(groupOf(plan, name)!.hyper['weight_decay']).toBe(0)
    expect(groupOf(plan, 'backbone.layers.0.attn.qkv.weight')!.hyper['weight_decay']).toBe(0.05)
    expect(groupOf(plan, 'neck.decoder_pred.weight')).toBeDefined()
    // ViT-B/16 with its frozen pos_embed, and MAE's 8-layer, 512-wide decoder: MAE-base's ~112M.
    expect(plan.setup.at(-1)).toBe(
      'model (described from the config; not trainable here): backbone 85.8M (85.6M trained), ' +
        'neck 26.1M (26.0M trained); 111.9M parameters, 111.7M trained',
    )
  })

  it('a ViT-L fine-tune gets MMSelfSup’s layer-decay groups, planned without allocating a tensor', async () => {
    const before = tf.memory().numTensors
    const { plan } = await planOf('vit-large-p16_ft.py')
    expect(tf.memory().numTensors).toBe(before)
    const groups = plan.paramGroups!.groups
    // 24 layers + the embeddings (layer 0) + the head (layer 25), each with and without decay (custom_keys say
    // which: MMSelfSup's constructor reads nothing else).
    expect(groups.length).toBe(2 * 26)
    const head = groupOf(plan, 'head.fc.weight')!.hyper
    expect(head['lr_scale']).toBe(1)
    expect(groupOf(plan, 'backbone.ln2.weight')!.hyper['weight_decay']).toBe(0)
    expect(groupOf(plan, 'backbone.cls_token')!.hyper['lr_scale']).toBeCloseTo(0.75 ** 25, 12)
    expect(groupOf(plan, 'backbone.layers.23.attn.qkv.weight')!.hyper['lr_scale']).toBeCloseTo(0.75, 12)
  })

  it('says which key it cannot describe, with its path', () => {
    const r = describeModel({ type: 'MAE', backbone: { type: 'MAEViT', arch: 'gigantic' }, neck: null, head: null })
    expect(r._tag === 'Left' && r.left[0]).toMatchObject({ path: 'model.backbone.arch' })
    const unknown = describeModel({ type: 'MAE', backbone: { type: 'NoSuchViT' } })
    expect(unknown._tag === 'Left' && unknown.left[0]!.message).toMatch(/unknown backbone description type 'NoSuchViT'/)
  })
})
