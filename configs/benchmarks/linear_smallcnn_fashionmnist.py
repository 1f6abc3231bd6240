# Linear probe of a SmallCNN pretrained on Fashion-MNIST: the backbone frozen (every stage, BatchNorm in eval mode), a
# linear head on its pooled features trained, scored on the test split:
#   loopwright train configs/benchmarks/linear_smallcnn_fashionmnist.py \
#       --cfg-options model.init_cfg.checkpoint=work_dirs/simsiam_smallcnn_fashionmnist/epoch_10.safetensors
#   loopwright test configs/benchmarks/linear_smallcnn_fashionmnist.py \
#       --checkpoint work_dirs/linear_smallcnn_fashionmnist/epoch_10.safetensors
# Without a pretrained checkpoint (model.init_cfg=None): the same architecture at random init, probed the same way.
_base_ = [
    './_base_/datasets/fashion_mnist_cls.py',
    './_base_/models/smallcnn_extractor.py',
    './_base_/schedules/sgd_coslr-10e.py',
]
model = dict(
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[72.94], std=[90.02]),
    backbone=dict(frozen_stages=3, norm_eval=True),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=128, loss=dict(type='CrossEntropyLoss'), topk=(1, 5)),
    init_cfg=dict(type='Pretrained', checkpoint='work_dirs/simsiam_smallcnn_fashionmnist/epoch_10.safetensors',
                  prefix='backbone.'),
)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=1),
)
randomness = dict(seed=0)
