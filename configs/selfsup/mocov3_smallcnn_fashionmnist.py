# MoCoV3 on Fashion-MNIST (loopwright's SmallCNN backbone).
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

temperature = 0.2
model = dict(
    type='MoCoV3',
    base_momentum=0.99,
    data_preprocessor=data_preprocessor,
    backbone=dict(type='SmallCNN', in_channels=1, base_channels=32, stages=3, img_size=28),
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
              num_layers=2, with_bias=False, with_last_bn=True, with_last_bn_affine=False,
              with_last_bias=False, with_avg_pool=True),
    head=dict(
        type='MoCoV3Head',
        predictor=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
                       num_layers=2, with_bias=False, with_last_bn=True, with_last_bn_affine=False,
                       with_last_bias=False, with_avg_pool=False),
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature),
)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=0.3, momentum=0.9, weight_decay=1e-06),
    paramwise_cfg=dict(custom_keys={
        'bn': dict(decay_mult=0, lars_exclude=True),
        'bias': dict(decay_mult=0, lars_exclude=True),
    }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=9, by_epoch=True, begin=1, end=10),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
)
randomness = dict(seed=0)
