# MoCo on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/smallcnn_mnist.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

model = dict(
    type='MoCo',
    queue_len=4096,
    feat_dim=128,
    momentum=0.99,
    neck=dict(type='MoCoV2Neck', in_channels=128, hid_channels=512, out_channels=128, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'), temperature=0.2),
)

optim_wrapper = dict(optimizer=dict(lr=0.06))

# The queue takes whole batches (MMSelfSup asserts queue_len % batch_size == 0): drop the short last batch, as
# MMSelfSup's own dataset bases for these algorithms do.
train_dataloader = dict(drop_last=True)
