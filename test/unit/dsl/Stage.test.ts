import { describe, expect, it } from 'vitest'
import * as Stage from '../../../src/dsl/Stage.js'

describe('Stage', () => {
  it('lists MMEngine’s 22 stages in order', () => {
    expect(Stage.all).toHaveLength(22)
    expect(Stage.all[0]).toBe('before_run')
    expect(Stage.all[13]).toBe('before_save_checkpoint')
    expect(Stage.all[21]).toBe('after_run')
  })
  it('knows modes and levels', () => {
    expect(Stage.modeOf('after_val_iter')).toBe('val')
    expect(Stage.modeOf('before_save_checkpoint')).toBeUndefined()
    expect(Stage.levelOf('before_test_epoch')).toBe('epoch')
    expect(Stage.levelOf('after_train')).toBe('loop')
    expect(Stage.levelOf('before_run')).toBe('run')
  })
  it('pairs every before_X with after_X; checkpoint stages are not brackets', () => {
    expect(Stage.brackets).toHaveLength(10)
    expect(Stage.closing('before_train_iter')).toBe('after_train_iter')
    expect(Stage.closing('before_save_checkpoint')).toBeUndefined()
    expect(Stage.closing('after_run')).toBeUndefined()
  })
})
