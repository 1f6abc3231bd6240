# BYOL on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/smallcnn_mnist.py',
    './_base_/schedules/lars_coslr-10e.py',
    './_base_/default_runtime.py',
]

model = dict(
    type='BYOL',
    base_momentum=0.99,
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
              num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss', shift_factor=2.0, scale_factor=2.0),
        predictor=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
                       num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=False)),
)
