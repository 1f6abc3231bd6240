import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../../src/tensor/cpu.js'
import { loadWeights, reviseKey } from '../../../src/tensor/loadWeights.js'
import * as ST from '../../../src/tensor/safetensors.js'

beforeAll(useCpu)

const f32 = (shape: number[], start = 0): ST.TensorEntry => ({
  dtype: 'F32',
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => start + i),
})

const fileOf = (entries: ST.Entries): ST.Decoded => {
  const decoded = ST.decode(ST.encode(entries))
  if (decoded._tag === 'Left') throw decoded.left
  return decoded.right
}

const model = { 'fc.weight': [2, 3], 'fc.bias': [2] }

describe('loadWeights', () => {
  it('loads matching tensors in the model’s order, stripping module. by default', () => {
    const file = fileOf({ 'module.fc.bias': f32([2], 10), 'module.fc.weight': f32([2, 3]) })
    const loaded = loadWeights(model, file)
    if (loaded._tag === 'Left') throw new Error(JSON.stringify(loaded.left))
    expect(Object.keys(loaded.right.tree)).toEqual(['fc.weight', 'fc.bias'])
    expect(loaded.right.tree['fc.weight']!.arraySync()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ])
    expect(Array.from(loaded.right.tree['fc.bias']!.dataSync())).toEqual([10, 11])
    expect([loaded.right.warnings, loaded.right.missing, loaded.right.unexpected, loaded.right.notes]).toEqual([
      [],
      [],
      [],
      [],
    ])
    tf.dispose(Object.values(loaded.right.tree))
  })

  it('lists missing, unexpected and mis-shaped tensors, naming both shapes, and creates no tensor', () => {
    const file = fileOf({ 'fc.weight': f32([3, 2]), head: f32([1]) })
    const before = tf.memory().numTensors
    expect(loadWeights(model, file)).toEqual({
      _tag: 'Left',
      left: [
        { kind: 'missing', name: 'fc.bias', message: 'missing key in source state_dict: fc.bias (shape [2])' },
        { kind: 'unexpected', name: 'head', message: 'unexpected key in source state_dict: head (shape [1])' },
        {
          kind: 'shape',
          name: 'fc.weight',
          message:
            'size mismatch for fc.weight: copying a param with shape [3, 2] from the file, ' +
            'the shape in the current model is [2, 3]',
        },
      ],
    })
    expect(tf.memory().numTensors).toBe(before)
  })

  it('with strict: false, loads what matches and reports the rest as warnings (shape mismatches still fail)', () => {
    const file = fileOf({ 'fc.weight': f32([2, 3]), 'head.weight': f32([1]) })
    const loaded = loadWeights(model, file, { strict: false })
    if (loaded._tag === 'Left') throw new Error(JSON.stringify(loaded.left))
    expect(Object.keys(loaded.right.tree)).toEqual(['fc.weight'])
    expect(loaded.right.warnings).toEqual([
      'unexpected key in source state_dict: head.weight',
      'missing keys in source state_dict: fc.bias',
    ])
    expect([loaded.right.missing, loaded.right.unexpected]).toEqual([['fc.bias'], ['head.weight']])
    tf.dispose(Object.values(loaded.right.tree))
    const bad = loadWeights(model, fileOf({ 'fc.weight': f32([6]) }), { strict: false })
    expect(bad._tag === 'Left' && bad.left.map((p) => p.kind)).toEqual(['shape'])
  })

  it('selects and strips a prefix, applies revise_keys in order, and refuses keys that collide', () => {
    const file = fileOf({ 'backbone.fc.weight': f32([2, 3]), 'backbone.fc.bias': f32([2]), 'head.fc.weight': f32([1]) })
    const loaded = loadWeights(model, file, { prefix: 'backbone' })
    expect(loaded._tag === 'Right' && Object.keys(loaded.right.tree)).toEqual(['fc.weight', 'fc.bias'])
    if (loaded._tag === 'Right') tf.dispose(Object.values(loaded.right.tree))
    expect(loadWeights(model, file, { prefix: 'neck.' })).toMatchObject({
      _tag: 'Left',
      left: [
        { kind: 'prefix', message: "no key in the file starts with the prefix 'neck.'" },
        { kind: 'missing' },
        { kind: 'missing' },
      ],
    })

    const revised = loadWeights({ 'layers.0.weight': [2, 3] }, fileOf({ 'encoder.layer0.weight': f32([2, 3]) }), {
      reviseKeys: [
        ['^encoder\\.', ''],
        ['layer(\\d+)', 'layers.\\1'],
      ],
    })
    expect(revised._tag === 'Right' && Object.keys(revised.right.tree)).toEqual(['layers.0.weight'])
    if (revised._tag === 'Right') tf.dispose(Object.values(revised.right.tree))
    expect(reviseKey('a.b.a', { reviseKeys: [['a', 'x']] })).toBe('x.b.x') // every match, as re.sub
    expect(reviseKey('cost', { reviseKeys: [['c', '$1']] })).toBe('$1ost') // `$` is literal, as in Python
    expect(reviseKey('module.x', { reviseKeys: [] })).toBe('module.x')

    const collide = loadWeights({ w: [1] }, fileOf({ 'module.w': f32([1]), w: f32([1]) }))
    expect(collide).toMatchObject({
      _tag: 'Left',
      left: [
        { kind: 'duplicate', name: 'w', message: 'keys "module.w" and "w" both become "w" after revising the keys' },
      ],
    })
  })

  it('converts half-precision weights to float32 with a note', () => {
    const loaded = loadWeights(
      { b: [2] },
      fileOf({ b: { dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0x4000) } }),
    )
    if (loaded._tag === 'Left') throw new Error(JSON.stringify(loaded.left))
    expect(Array.from(loaded.right.tree['b']!.dataSync())).toEqual([1, 2])
    expect(loaded.right.notes).toEqual(['1 BF16 tensor converted: BF16 → float32 (exact): b'])
    tf.dispose(Object.values(loaded.right.tree))
  })
})
