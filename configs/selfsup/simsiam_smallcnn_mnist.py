# SimSiam on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/smallcnn_mnist.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

model = dict(
    type='SimSiam',
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=256, out_channels=256,
              num_layers=3, with_last_bn_affine=False, with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(type='NonLinearNeck', in_channels=256, hid_channels=64, out_channels=256,
                       with_avg_pool=False, with_last_bn=False, with_last_bias=True)),
)

optim_wrapper = dict(optimizer=dict(lr=0.05), paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))

custom_hooks = [dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=0.05, adjust_by_epoch=False)]
