# DeepCluster on Fashion-MNIST (loopwright's SmallCNN backbone): k-means over the whole training set before
# training and after every epoch, a freshly drawn classifier on the new pseudo-labels, clusters sampled uniformly.
_base_ = [
    './_base_/datasets/fashion_mnist_clustering.py',
    './_base_/models/deepcluster_smallcnn.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

# The classifier is drawn afresh at every clustering: no momentum carried over for it.
optim_wrapper = dict(
    optimizer=dict(lr=0.1, weight_decay=1e-5),
    paramwise_cfg=dict(custom_keys={'head': dict(momentum=0.)}))

custom_hooks = [
    dict(
        type='DeepClusterHook',
        extract_dataloader={{_base_.extract_dataloader}},
        clustering=dict(type='Kmeans', k={{_base_.num_clusters}}, pca_dim=64),
        unif_sampling=True,
        reweight=False,
        reweight_pow=0.5,
        initial=True,
        interval=1),
]
