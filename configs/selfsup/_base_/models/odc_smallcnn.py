# ODC's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/odc.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

num_clusters = 100
model = dict(
    type='ODC',
    neck=dict(type='ODCNeck', in_channels=128, hid_channels=256, out_channels=64, with_avg_pool=True),
    head=dict(
        type='ClsHead',
        # The class weights sum to 1 (uniform 1/k before any reweighting, as MMSelfSup's buffer), which scales the
        # loss and its gradient by about 1/k; loss_weight=k gives back the plain cross-entropy's scale, so the lr
        # reads as it acts.
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=num_clusters),
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
