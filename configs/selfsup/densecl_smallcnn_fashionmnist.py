# DenseCL on Fashion-MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/fashion_mnist_views.py',
    './_base_/models/smallcnn.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

model = dict(
    type='DenseCL',
    queue_len=4096,
    feat_dim=128,
    momentum=0.99,
    loss_lambda=0.5,
    neck=dict(type='DenseCLNeck', in_channels=128, hid_channels=512, out_channels=128, num_grid=None),
    head=dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'), temperature=0.2),
)

custom_hooks = [dict(type='DenseCLHook', start_iters=234)]

# The queue takes whole batches (MMSelfSup asserts queue_len % batch_size == 0): drop the short last batch, as
# MMSelfSup's own dataset bases for these algorithms do.
train_dataloader = dict(drop_last=True)
