/** Model descriptions shared by the constructor tests (MMEngine's and MMSelfSup's test models). */
import type { ModelInfo, ModuleInfo, ParamInfo } from '../../../../src/optim/constructors/index.js'

export const param = (
  name: string,
  shape: ReadonlyArray<number>,
  module: ModuleInfo,
  extra: Partial<ParamInfo> = {},
): ParamInfo => ({ name, shape, requiresGrad: true, module, ...extra })

const conv = (inChannels: number, groups = 1): ModuleInfo => ({ type: 'Conv2d', inChannels, groups })

/**
 * MMEngine's `ExampleModel` (tests/test_optim/test_optimizer/test_optimizer.py):
 * param1, conv1 (3→4, no bias), conv2 (4→2), bn, sub (param1, conv1 depth-wise 2→2 groups 2, gn).
 */
export const exampleModel = (patch: (p: ParamInfo) => ParamInfo = (p) => p): ModelInfo => ({
  params: [
    param('param1', [1], { type: 'ExampleModel' }),
    param('conv1.weight', [4, 3, 1, 1], conv(3)),
    param('conv2.weight', [2, 4, 1, 1], conv(4)),
    param('conv2.bias', [2], conv(4)),
    param('bn.weight', [2], { type: 'BatchNorm2d' }),
    param('bn.bias', [2], { type: 'BatchNorm2d' }),
    param('sub.param1', [1], { type: 'SubModel' }),
    param('sub.conv1.weight', [2, 1, 1, 1], conv(2, 2)),
    param('sub.conv1.bias', [2], conv(2, 2)),
    param('sub.gn.weight', [2], { type: 'GroupNorm' }),
    param('sub.gn.bias', [2], { type: 'GroupNorm' }),
  ].map(patch),
})

export const exampleNames = exampleModel().params.map((p) => p.name)

/**
 * MMSelfSup's toy ViT: backbone (cls_token, pos_embed, layers = 2 × Conv2d(3, 3, 1)) and head = Linear(1, 1).
 */
export const toyVit = (): ModelInfo => ({
  backbone: { numLayers: 2, kind: 'vit' },
  params: [
    param('backbone.cls_token', [1], { type: 'ToyViTBackbone' }),
    param('backbone.pos_embed', [1], { type: 'ToyViTBackbone' }),
    param('backbone.layers.0.weight', [3, 3, 1, 1], conv(3)),
    param('backbone.layers.0.bias', [3], conv(3)),
    param('backbone.layers.1.weight', [3, 3, 1, 1], conv(3)),
    param('backbone.layers.1.bias', [3], conv(3)),
    param('head.weight', [1, 1], { type: 'Linear' }),
    param('head.bias', [1], { type: 'Linear' }),
  ],
})

/** A model from bare names (module type Linear unless the name says norm). */
export const fromNames = (names: ReadonlyArray<string>, backbone: ModelInfo['backbone'] = {}): ModelInfo => ({
  backbone,
  params: names.map((n) =>
    param(n, n.endsWith('bias') || /norm|ln/.test(n) ? [8] : [8, 8], {
      type: /norm|ln/.test(n) ? 'LayerNorm' : 'Linear',
    }),
  ),
})
