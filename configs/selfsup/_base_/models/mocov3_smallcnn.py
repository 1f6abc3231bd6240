# MoCo v3's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/mocov3.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

temperature = 0.2
model = dict(
    type='MoCoV3',
    base_momentum=0.99,
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
              num_layers=2, with_bias=False, with_last_bn=True, with_last_bn_affine=False,
              with_last_bias=False, with_avg_pool=True),
    head=dict(
        type='MoCoV3Head',
        predictor=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128,
                       num_layers=2, with_bias=False, with_last_bn=True, with_last_bn_affine=False,
                       with_last_bias=False, with_avg_pool=False),
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature),
)
