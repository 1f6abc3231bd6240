# BarlowTwins's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/barlowtwins.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

model = dict(
    type='BarlowTwins',
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=512,
              num_layers=3, with_last_bn=False, with_last_bn_affine=False, with_avg_pool=True),
    head=dict(type='LatentCrossCorrelationHead', in_channels=512, loss=dict(type='CrossCorrelationLoss')),
)
