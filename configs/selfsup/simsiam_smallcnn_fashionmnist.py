# SimSiam on Fashion-MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/fashion_mnist_views.py',
    './_base_/models/simsiam_smallcnn.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

optim_wrapper = dict(optimizer=dict(lr=0.05), paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))

custom_hooks = [dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=0.05, adjust_by_epoch=False)]
