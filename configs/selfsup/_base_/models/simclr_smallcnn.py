# SimCLR's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/simclr.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

model = dict(
    type='SimCLR',
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
              num_layers=2, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'), temperature=0.1),
)
