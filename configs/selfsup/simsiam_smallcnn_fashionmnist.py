# SimSiam on Fashion-MNIST (loopwright's SmallCNN backbone).
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
    type='SimSiam',
    data_preprocessor=data_preprocessor,
    backbone=dict(type='SmallCNN', in_channels=1, base_channels=32, stages=3, img_size=28),
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=256, out_channels=256,
              num_layers=3, with_last_bn_affine=False, with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(type='NonLinearNeck', in_channels=256, hid_channels=64, out_channels=256,
                       with_avg_pool=False, with_last_bn=False, with_last_bias=True)),
)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.0001),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, by_epoch=True, begin=0, end=10)]
custom_hooks = [dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=0.05, adjust_by_epoch=False)]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
)
randomness = dict(seed=0)
