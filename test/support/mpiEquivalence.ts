/** The run the MPI test trains both through `mpirun -np 2` and on two worker threads. */
import { programOf, regressionData } from '../unit/interpreters/tensor/support.js'

export const mpiEquivalence = {
  program: () =>
    programOf({
      model: { type: 'TinyRegressor' },
      train_dataloader: {
        batch_size: 4,
        dataset: 'ArrayDataset(data.x, data.y)',
        sampler: { type: 'DefaultSampler', shuffle: true },
      },
      train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2 },
      optim_wrapper: { optimizer: { type: 'AdamW', lr: 0.01 }, accumulative_counts: 2, clip_grad: { max_norm: 1 } },
      param_scheduler: [],
      default_hooks: { checkpoint: null, logger: null },
      randomness: { seed: 21 },
    }),
  options: () => ({
    datasets: { train: regressionData(48, 9) },
    writeCheckpoints: false,
    timestamp: 'mpi',
    workDir: 'work_dirs/mpi-unused',
  }),
}
