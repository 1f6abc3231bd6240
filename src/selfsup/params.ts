/**
 * Parameter descriptions shared by the components: what `ModelInfo` lists
 * for a linear layer and a BatchNorm under a prefix.
 * @module
 */
import type { ParamInfo } from '../models/ModelInfo.js'

/** `nn.Linear(in, out, bias)` under `name`. */
export const linearInfo = (
  name: string,
  inFeatures: number,
  outFeatures: number,
  bias: boolean,
): ReadonlyArray<ParamInfo> => [
  { name: `${name}.weight`, shape: [outFeatures, inFeatures], requiresGrad: true, module: { type: 'Linear' } },
  ...(bias ? [{ name: `${name}.bias`, shape: [outFeatures], requiresGrad: true, module: { type: 'Linear' } }] : []),
]

/** A BatchNorm of `channels` under `name` (`BatchNorm1d` or `BatchNorm2d`); nothing when not affine. */
export const batchNormInfo = (
  name: string,
  channels: number,
  affine: boolean,
  type = 'BatchNorm1d',
): ReadonlyArray<ParamInfo> =>
  affine
    ? [
        { name: `${name}.weight`, shape: [channels], requiresGrad: true, module: { type } },
        { name: `${name}.bias`, shape: [channels], requiresGrad: true, module: { type } },
      ]
    : []
