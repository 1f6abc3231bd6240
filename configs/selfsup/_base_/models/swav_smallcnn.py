# SwAV's model on loopwright's SmallCNN (`./smallcnn.py`), as MMSelfSup's `_base_/models/swav.py`
# gives it on a ResNet-50. The dataset bases add its normalisation (`data_preprocessor`).
_base_ = ['./smallcnn.py']

model = dict(
    type='SwAV',
    neck=dict(type='SwAVNeck', in_channels=128, hid_channels=512, out_channels=128, with_avg_pool=True),
    head=dict(
        type='SwAVHead',
        loss=dict(type='SwAVLoss', feat_dim=128, epsilon=0.05, temperature=0.1,
                  num_crops=[2], crops_for_assign=[0, 1], num_prototypes=100)),
)
