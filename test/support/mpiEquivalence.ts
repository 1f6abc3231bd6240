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
      // Validation is sharded and gathered: 37 samples, one repeated on rank 1 and dropped again.
      val_dataloader: {
        batch_size: 5,
        dataset: 'ArrayDataset(data.val_x, data.val_y)',
        sampler: { type: 'DefaultSampler', shuffle: false },
      },
      val_evaluator: { type: 'MSE' },
      val_cfg: {},
      train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2, val_interval: 1 },
      optim_wrapper: { optimizer: { type: 'AdamW', lr: 0.01 }, accumulative_counts: 2, clip_grad: { max_norm: 1 } },
      param_scheduler: [],
      default_hooks: { checkpoint: null, logger: null },
      randomness: { seed: 21 },
    }),
  options: () => ({
    datasets: { train: regressionData(48, 9), val: regressionData(37, 10) },
    writeCheckpoints: false,
    timestamp: 'mpi',
    workDir: 'work_dirs/mpi-unused',
  }),
}
