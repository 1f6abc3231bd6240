# SimSiam's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/simsiam.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

model = dict(
    type='SimSiam',
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=256, out_channels=256,
              num_layers=3, with_last_bn_affine=False, with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(type='NonLinearNeck', in_channels=256, hid_channels=64, out_channels=256,
                       with_avg_pool=False, with_last_bn=False, with_last_bias=True)),
)
