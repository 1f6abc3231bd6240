# The linear probe's schedule: SGD with momentum, no weight decay, cosine annealing over 10 epochs.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, by_epoch=True, begin=0, end=10)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=10)
