/**
 * Describers of MMSelfSup's heads: BEiT's token classifiers (`cls_head`),
 * the parameter-free reconstruction heads of the masked-image-modeling
 * algorithms, and the heads loopwright trains, described by the components
 * themselves.
 * @module
 */
import type { Describer } from '../../models/Description.js'
import { noParams, reader } from '../../models/Description.js'
import { infoOfSpecs, linearSpecs } from '../../models/ParamSpec.js'
import { componentDescriber } from '../necks/describers.js'

/** `BEiTV1Head` / `BEiTV2Head`: `cls_head`, `embed_dims → num_embed` (the tokenizer's vocabulary). */
const beitHead = (name: string): Describer => ({
  name,
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const embed = r.number('embed_dims', 768)
    const vocabulary = r.number('num_embed', 8192)
    return r.done(() => ({ params: infoOfSpecs(linearSpecs(`${prefix}.cls_head`, embed, vocabulary)) }))
  },
})

/** Every head loopwright can describe. */
export const headDescribers: ReadonlyArray<Describer> = [
  beitHead('BEiTV1Head'),
  beitHead('BEiTV2Head'),
  ...[
    'MAEPretrainHead',
    'MILANPretrainHead',
    'MaskFeatPretrainHead',
    'SimMIMHead',
    'CAEHead',
    'MixMIMPretrainHead',
  ].map(noParams),
  ...['LatentPredictHead', 'ContrastiveHead', 'LatentCrossCorrelationHead', 'MoCoV3Head', 'SwAVHead', 'ClsHead'].map(
    (n) => componentDescriber(n),
  ),
]
