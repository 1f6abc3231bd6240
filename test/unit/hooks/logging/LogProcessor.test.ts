import { describe, expect, it } from 'vitest'
import * as Hub from '../../../../src/dsl/MessageHub.js'
import * as LP from '../../../../src/hooks/logging/LogProcessor.js'

const hubWith = (
  scalars: ReadonlyArray<readonly [string, number]>,
  info: ReadonlyArray<readonly [string, Hub.Json]> = [],
): Hub.MessageHub => {
  let hub = Hub.empty
  for (const [k, v] of scalars) hub = Hub.updateScalar(hub, k, v)
  for (const [k, v] of info) hub = Hub.updateInfo(hub, k, v)
  return hub
}

const view = (hub: Hub.MessageHub, over: Partial<LP.RunView> = {}): LP.RunView => ({
  hub,
  epoch: 0,
  iter: 49,
  maxEpochs: 200,
  maxIters: 200 * 5005,
  loaderLength: 5005,
  hasTrainLoop: true,
  ...over,
})

describe('LogProcessor.afterIter (spec §3.4.3)', () => {
  const hub = hubWith(
    [
      ['train/lr', 1.5e-4],
      ['train/data_time', 0.0123],
      ['train/loss', 0.8123],
      ['train/time', 0.4211],
    ],
    [['eta', 3 * 86400 + 3723]],
  )

  it('reproduces MMEngine’s example train line (without CUDA memory)', () => {
    const { line } = LP.afterIter(LP.make(), view(hub), 49, 'train')
    expect(line).toBe(
      'Epoch(train)   [1][  50/5005]  lr: 1.5000e-04  eta: 3 days, 1:02:03  time: ' +
        '0.4211  data_time: 0.0123  loss: 0.8123',
    )
  })

  it('builds the scalars tag in message-hub order, then epoch and iter', () => {
    const { tag } = LP.afterIter(LP.make(), view(hub), 49, 'train')
    expect(Object.keys(tag)).toEqual(['lr', 'data_time', 'loss', 'time', 'epoch', 'iter'])
    expect(tag).toMatchObject({ lr: 1.5e-4, loss: 0.8123, epoch: 1, iter: 50 })
  })

  it('renders every *lr key, joined by one space, and smooths losses over the window', () => {
    let h = hubWith([
      ['train/base_lr', 0.01],
      ['train/lr', 0.001],
    ])
    for (const v of [1, 2, 3]) h = Hub.updateScalar(h, 'train/loss', v)
    const { line } = LP.afterIter(
      LP.make({ window_size: 2 }),
      view(h, { maxEpochs: 2, loaderLength: 10, iter: 0 }),
      0,
      'train',
    )
    expect(line).toBe('Epoch(train) [1][ 1/10]  base_lr: 1.0000e-02 lr: 1.0000e-03  loss: 2.5000')
  })

  it('uses Iter(train) headers when not by_epoch', () => {
    const { line, tag } = LP.afterIter(
      LP.make({ by_epoch: false }),
      view(hubWith([['train/loss', 1]]), { iter: 8, maxIters: 1000 }),
      8,
      'train',
    )
    expect(line).toBe('Iter(train) [   9/1000]    loss: 1.0000')
    expect(tag).toEqual({ loss: 1, iter: 9 })
  })

  it('val iteration lines show only the header (metrics come at the epoch end)', () => {
    const { line } = LP.afterIter(
      LP.make(),
      view(
        hubWith([
          ['val/time', 1],
          ['val/data_time', 0.5],
        ]),
        { epoch: 1, loaderLength: 10 },
      ),
      4,
      'val',
    )
    expect(line).toBe('Epoch(val)   [1][ 5/10]    ')
  })

  it('applies custom_cfg statistics under their log_name', () => {
    let h = Hub.empty
    for (const v of [5, 1, 3]) h = Hub.updateScalar(h, 'train/loss', v)
    const cfg = LP.make({
      window_size: 1,
      custom_cfg: [{ data_src: 'loss', log_name: 'loss_max', method_name: 'max', window_size: 'global' }],
    })
    const { tag } = LP.afterIter(cfg, view(h, { iter: 2, loaderLength: 3, maxEpochs: 1 }), 2, 'train')
    expect(tag).toMatchObject({ loss: 3, loss_max: 5 })
  })
})

describe('LogProcessor.afterEpoch', () => {
  it('summarises a val epoch: metrics, then the epoch means of time and data_time', () => {
    let hub = hubWith([['val/accuracy', 0.9]])
    for (const t of [1, 3]) hub = Hub.updateScalar(Hub.updateScalar(hub, 'val/time', t), 'val/data_time', 1)
    const { line, tag } = LP.afterEpoch(LP.make(), view(hub, { epoch: 1, loaderLength: 2 }), 'val')
    expect(line).toBe('Epoch(val) [1][2/2]    accuracy: 0.9000  time: 2.0000  data_time: 1.0000')
    expect(tag).toEqual({ accuracy: 0.9, time: 2, data_time: 1 })
  })
})

describe('LogProcessor.codec', () => {
  it('rejects duplicate log names and epoch windows without by_epoch', () => {
    expect(
      LP.codec.decode({
        custom_cfg: [
          { data_src: 'loss', method_name: 'mean' },
          { data_src: 'loss', method_name: 'max' },
        ],
      })._tag,
    ).toBe('Left')
    expect(
      LP.codec.decode({
        by_epoch: false,
        custom_cfg: [{ data_src: 'loss', method_name: 'mean', window_size: 'epoch' }],
      })._tag,
    ).toBe('Left')
    expect(LP.codec.decode({ window_size: 20, by_epoch: true })._tag).toBe('Right')
  })
})
