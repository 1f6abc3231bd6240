# DeepCluster's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/deepcluster.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

num_clusters = 100
model = dict(
    type='DeepCluster',
    neck=dict(type='AvgPool2dNeck'),
    head=dict(
        type='ClsHead',
        # The class weights sum to 1 (uniform 1/k before any reweighting, as MMSelfSup's buffer), which scales the
        # loss and its gradient by about 1/k; loss_weight=k gives back the plain cross-entropy's scale, so the lr
        # reads as it acts.
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=num_clusters),
        with_avg_pool=False,
        in_channels=128,
        num_classes=num_clusters),
)
