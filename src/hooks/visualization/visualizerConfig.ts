/**
 * MMEngine's `visualizer` section: `visualizer = dict(type='Visualizer',
 * vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')],
 * name='visualizer')`. The visualizer types of OpenMMLab's libraries differ
 * in what they draw, not in where scalars go, so each is accepted; the
 * backends are the two loopwright writes (docs/visualization.md). Configs
 * are checked with it through `Registries.visualizer`, so config/ needs no
 * hook code.
 * @module
 */
import { array, dispatch, isDict, json, literal, string, struct } from '../../schema/codec.js'
import type { Codec } from '../../schema/codec.js'

/** Visualizer types a config may name (MMEngine, MMPretrain, MMSelfSup, MMDet, MMSeg, MMPose). */
export const visualizerTypes = [
  'Visualizer',
  'UniversalVisualizer',
  'SelfSupVisualizer',
  'ClsVisualizer',
  'DetLocalVisualizer',
  'SegLocalVisualizer',
  'PoseLocalVisualizer',
] as const

/** The vis backends loopwright provides. */
export const visBackendTypes = ['LocalVisBackend', 'TensorboardVisBackend'] as const

/**
 * `LocalVisBackend(save_dir, img_save_dir='vis_image', config_save_file='config.py',
 * scalar_save_file='scalars.json')`.
 */
export const localVisBackend = struct(
  'a LocalVisBackend dict',
  { type: literal(...visBackendTypes) },
  { name: string, save_dir: string, img_save_dir: string, config_save_file: string, scalar_save_file: string },
)

/** `TensorboardVisBackend(save_dir)`. */
export const tensorboardVisBackend = struct(
  'a TensorboardVisBackend dict',
  { type: literal('TensorboardVisBackend') },
  { name: string, save_dir: string },
)

export type LocalVisBackendCfg = typeof localVisBackend._A
export type TensorboardVisBackendCfg = typeof tensorboardVisBackend._A
export type VisBackendCfg = LocalVisBackendCfg | TensorboardVisBackendCfg

const isTensorboard = (u: unknown): boolean => isDict(u) && u['type'] === 'TensorboardVisBackend'

/** One vis backend dict; an unknown `type` is reported against the two provided. */
export const visBackend: Codec<VisBackendCfg> = dispatch('a vis backend dict with a `type`', [
  [isTensorboard, tensorboardVisBackend],
  [isDict, localVisBackend],
] as const)

/** The `visualizer` dict. `fig_save_cfg` and `fig_show_cfg` shape matplotlib figures (not drawn here). */
export const visualizer = struct(
  'a visualizer dict with a `type`',
  { type: literal(...visualizerTypes) },
  { name: string, vis_backends: array(visBackend), save_dir: string, fig_save_cfg: json, fig_show_cfg: json },
)

export type VisualizerCfg = typeof visualizer._A
