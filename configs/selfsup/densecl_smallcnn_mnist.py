# DenseCL on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/densecl_smallcnn.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

custom_hooks = [dict(type='DenseCLHook', start_iters=234)]

# The queue takes whole batches (MMSelfSup asserts queue_len % batch_size == 0): drop the short last batch, as
# MMSelfSup's own dataset bases for these algorithms do.
train_dataloader = dict(drop_last=True)
