# The linear probe's model: the SmallCNN extractor (`./smallcnn_extractor.py`) with its backbone frozen (every stage,
# BatchNorm in eval mode) and a linear head on the pooled features, the only part that trains.
_base_ = ['./smallcnn_extractor.py']
model = dict(
    backbone=dict(frozen_stages=3, norm_eval=True),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=128, loss=dict(type='CrossEntropyLoss'), topk=(1, 5)),
)
