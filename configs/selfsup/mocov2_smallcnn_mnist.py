# MoCo on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/mocov2_smallcnn.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

optim_wrapper = dict(optimizer=dict(lr=0.06))

# The queue takes whole batches (MMSelfSup asserts queue_len % batch_size == 0): drop the short last batch, as
# MMSelfSup's own dataset bases for these algorithms do.
train_dataloader = dict(drop_last=True)
