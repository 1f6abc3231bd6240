# BarlowTwins on MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/mnist_views.py',
    './_base_/models/barlowtwins_smallcnn.py',
    './_base_/schedules/lars_coslr-10e.py',
    './_base_/default_runtime.py',
]
