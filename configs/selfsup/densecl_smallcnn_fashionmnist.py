# DenseCL on Fashion-MNIST (loopwright's SmallCNN backbone).
_base_ = [
    './_base_/datasets/fashion_mnist_views.py',
    './_base_/models/densecl_smallcnn.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

custom_hooks = [dict(type='DenseCLHook', start_iters=234)]
