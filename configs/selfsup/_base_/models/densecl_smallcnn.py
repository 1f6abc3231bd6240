# DenseCL's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/densecl.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

model = dict(
    type='DenseCL',
    queue_len=4096,
    feat_dim=128,
    momentum=0.99,
    loss_lambda=0.5,
    neck=dict(type='DenseCLNeck', in_channels=128, hid_channels=512, out_channels=128, num_grid=None),
    head=dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'), temperature=0.2),
)
