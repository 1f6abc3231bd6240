# kNN benchmark of a SmallCNN pretrained on MNIST:
#   loopwright test configs/benchmarks/knn_smallcnn_mnist.py \
#       --checkpoint work_dirs/simsiam_smallcnn_mnist/epoch_10.safetensors
# Without --checkpoint: the same architecture at random init, evaluated the same way (the baseline).
_base_ = [
    './_base_/datasets/mnist_knn.py',
    './_base_/models/smallcnn_extractor.py',
]
randomness = dict(seed=0)
