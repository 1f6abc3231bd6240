# The linear probe's model: the SmallCNN extractor (`./smallcnn_extractor.py`) with its backbone frozen (every stage,
# BatchNorm in eval mode) and a linear head on the pooled features, the only part that trains. Between them, a
# BatchNorm without affine parameters (MMSelfSup's `ClsBatchNormNeck`, as its MAE linear probe puts before the fc):
# a frozen random-init backbone's pooled features are tiny and nearly constant, and standardising them per channel
# is what lets a short probe learn at all (see docs/selfsup.md, "The linear probe's schedule").
_base_ = ['./smallcnn_extractor.py']
model = dict(
    backbone=dict(frozen_stages=3, norm_eval=True),
    neck=[dict(type='GlobalAveragePooling'), dict(type='ClsBatchNormNeck', input_features=128)],
    head=dict(type='LinearClsHead', num_classes=10, in_channels=128, loss=dict(type='CrossEntropyLoss'), topk=(1, 5)),
)
