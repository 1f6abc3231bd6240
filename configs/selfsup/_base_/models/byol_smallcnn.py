# BYOL's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/byol.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

model = dict(
    type='BYOL',
    base_momentum=0.99,
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
              num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss', shift_factor=2.0, scale_factor=2.0),
        predictor=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
                       num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=False)),
)
