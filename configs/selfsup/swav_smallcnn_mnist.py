# SwAV on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/swav_smallcnn.py',
    './_base_/schedules/lars_coslr-10e.py',
    './_base_/default_runtime.py',
]

custom_hooks = [
    dict(type='SwAVHook', priority='VERY_HIGH', batch_size=256, epoch_queue_starts=3,
         crops_for_assign=[0, 1], feat_dim=128, queue_length=1024,
         frozen_layers_cfg=dict(prototypes=234)),
]

# The queue takes whole batches (MMSelfSup asserts queue_len % batch_size == 0): drop the short last batch, as
# MMSelfSup's own dataset bases for these algorithms do.
train_dataloader = dict(drop_last=True)
