# Linear probe of a SmallCNN pretrained on MNIST: the backbone frozen, a linear head on its
# pooled features trained (`_base_/models/smallcnn_linear.py`), scored on the test split:
#   loopwright train configs/benchmarks/linear_smallcnn_mnist.py \
#       --cfg-options model.init_cfg.checkpoint=work_dirs/simsiam_smallcnn_mnist/epoch_10.safetensors
#   loopwright test configs/benchmarks/linear_smallcnn_mnist.py \
#       --checkpoint work_dirs/linear_smallcnn_mnist/epoch_10.safetensors
# Without a pretrained checkpoint (model.init_cfg=None): the same architecture at random init, probed the same way.
_base_ = [
    './_base_/datasets/mnist_cls.py',
    './_base_/models/smallcnn_linear.py',
    './_base_/schedules/sgd_coslr-10e.py',
]
model = dict(
    init_cfg=dict(type='Pretrained', checkpoint='work_dirs/simsiam_smallcnn_mnist/epoch_10.safetensors',
                  prefix='backbone.'),
)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=1),
)
randomness = dict(seed=0)
