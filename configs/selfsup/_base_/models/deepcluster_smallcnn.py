# DeepCluster's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/deepcluster.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

num_clusters = 100
model = dict(
    type='DeepCluster',
    neck=dict(type='AvgPool2dNeck'),
    head=dict(
        type='ClsHead',
        loss=dict(type='mmcls.CrossEntropyLoss'),
        with_avg_pool=False,
        in_channels=128,
        num_classes=num_clusters),
)
