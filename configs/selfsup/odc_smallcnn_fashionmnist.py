# ODC (online deep clustering) on Fashion-MNIST (loopwright's SmallCNN backbone): one k-means before training fills
# the memory; from then on every step moves its samples' features and labels, and ODCHook keeps the clusters alive.
_base_ = [
    './_base_/datasets/fashion_mnist_clustering.py',
    './_base_/models/odc_smallcnn.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

optim_wrapper = dict(
    optimizer=dict(lr=0.06, weight_decay=1e-5),
    paramwise_cfg=dict(custom_keys={'head': dict(momentum=0.)}))

custom_hooks = [
    dict(
        type='DeepClusterHook',
        extract_dataloader={{_base_.extract_dataloader}},
        clustering=dict(type='Kmeans', k={{_base_.num_clusters}}, pca_dim=-1),
        unif_sampling=False,
        reweight=True,
        reweight_pow=0.5,
        init_memory=True,
        initial=True,
        interval=9999999999),
    dict(
        type='ODCHook',
        centroids_update_interval=10,
        deal_with_small_clusters_interval=1,
        evaluate_interval=50,
        reweight=True,
        reweight_pow=0.5),
]
