# ODC (online deep clustering) on MNIST (loopwright's SmallCNN backbone): one k-means before training fills
# the memory; from then on every step moves its samples' features and labels, and ODCHook keeps the clusters alive.
_base_ = [
    './_base_/datasets/mnist_clustering.py',
    './_base_/models/smallcnn_mnist.py',
    './_base_/schedules/sgd_coslr-10e.py',
    './_base_/default_runtime.py',
]

num_clusters = 100
model = dict(
    type='ODC',
    neck=dict(type='ODCNeck', in_channels=128, hid_channels=256, out_channels=64, with_avg_pool=True),
    head=dict(
        type='ClsHead',
        loss=dict(type='mmcls.CrossEntropyLoss'),
        with_avg_pool=False,
        in_channels=64,
        num_classes=num_clusters),
    memory_bank=dict(
        type='ODCMemory',
        length=60000,
        feat_dim=64,
        momentum=0.5,
        num_classes=num_clusters,
        min_cluster=20,
        debug=False),
)

optim_wrapper = dict(
    optimizer=dict(lr=0.06, weight_decay=1e-5),
    paramwise_cfg=dict(custom_keys={'head': dict(momentum=0.)}))

custom_hooks = [
    dict(
        type='DeepClusterHook',
        extract_dataloader={{_base_.extract_dataloader}},
        clustering=dict(type='Kmeans', k=num_clusters, pca_dim=-1),
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
