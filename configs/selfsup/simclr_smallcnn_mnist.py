# SimCLR on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/smallcnn_mnist.py',
    './_base_/schedules/lars_coslr-10e.py',
    './_base_/default_runtime.py',
]

model = dict(
    type='SimCLR',
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
              num_layers=2, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'), temperature=0.1),
)
