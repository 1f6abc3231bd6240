# MoCo v2's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/mocov2.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

model = dict(
    type='MoCo',
    queue_len=4096,
    feat_dim=128,
    momentum=0.99,
    neck=dict(type='MoCoV2Neck', in_channels=128, hid_channels=512, out_channels=128, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'), temperature=0.2),
)
