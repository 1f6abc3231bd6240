# MoCoV3 on Fashion-MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/fashion_mnist_views.py',
    './_base_/models/mocov3_smallcnn.py',
    './_base_/schedules/lars_coslr-10e.py',
    './_base_/default_runtime.py',
]
