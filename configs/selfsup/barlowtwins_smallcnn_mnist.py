# BarlowTwins on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/smallcnn_mnist.py',
    './_base_/schedules/lars_coslr-10e.py',
    './_base_/default_runtime.py',
]

model = dict(
    type='BarlowTwins',
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=512,
              num_layers=3, with_last_bn=False, with_last_bn_affine=False, with_avg_pool=True),
    head=dict(type='LatentCrossCorrelationHead', in_channels=512, loss=dict(type='CrossCorrelationLoss')),
)
