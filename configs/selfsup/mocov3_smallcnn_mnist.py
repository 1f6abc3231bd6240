# MoCoV3 on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/smallcnn_mnist.py',
    './_base_/schedules/lars_coslr-10e.py',
    './_base_/default_runtime.py',
]

temperature = 0.2
model = dict(
    type='MoCoV3',
    base_momentum=0.99,
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
