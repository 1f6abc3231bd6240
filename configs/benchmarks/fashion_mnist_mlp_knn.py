# Fashion-MNIST with an MLP, watched by MMSelfSup's two representation benchmarks' first half:
# the val loop scores the model's outputs with Accuracy and with the weighted kNN classifier
# (bank: 10 000 training images; queries: the 10 000 test images of loopwright's fixed split).
model = dict(
    type='MLP', in_features=784, hidden=[256, 128], num_classes=10,
    data_preprocessor=dict(mean=[72.94], std=[90.02]))

train_dataloader = dict(
    batch_size=128,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='FashionMNIST', split='train',
        pipeline=[
            dict(type='RandomResizedCrop', size=28, scale=(0.6, 1.0)),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackInputs'),
        ]))

val_dataloader = dict(
    batch_size=500,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ConcatDataset', datasets=[
        dict(type='FashionMNIST', split='train', indices=10000),
        dict(type='FashionMNIST', split='test'),
    ]))
val_evaluator = [dict(type='KNN', bank_size=10000, topk=(20, 200), temperature=0.07)]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3, val_interval=1)
val_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=0.002, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=3, eta_min=1e-5, convert_to_iter_based=True)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
