# MoCo on Fashion-MNIST (loopwright's SmallCNN backbone).
# Pretraining with loopwright's SmallCNN (3 stages, 32-64-128 channels) is
# quick on a CPU. MMSelfSup's own configs use ResNet-50 on ImageNet; the
# constructs (model, pipeline, optimizer, hooks) are the same.

data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[72.94], std=[90.02])

view_pipeline = [
    dict(type='RandomResizedCrop', size=28, scale=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='FashionMNIST', split='train', pipeline=train_pipeline),
)

model = dict(
    type='MoCo',
    queue_len=4096,
    feat_dim=128,
    momentum=0.99,
    data_preprocessor=data_preprocessor,
    backbone=dict(type='SmallCNN', in_channels=1, base_channels=32, stages=3, img_size=28),
    neck=dict(type='MoCoV2Neck', in_channels=128, hid_channels=512, out_channels=128, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'), temperature=0.2),
)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.06, momentum=0.9, weight_decay=0.0001))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, by_epoch=True, begin=0, end=10)]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
)
randomness = dict(seed=0)
