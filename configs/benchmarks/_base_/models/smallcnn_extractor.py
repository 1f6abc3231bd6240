# The pretrained SmallCNN as a feature extractor (MMSelfSup's kNN benchmark): the backbone's last map, averaged over
# its positions. Without a head the model's output is the feature; its weights come from `--checkpoint` (the
# pretraining run's `backbone.*`; its neck and head are left out) or, without one, from its initialisation.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='SmallCNN', in_channels=1, base_channels=32, stages=3, img_size=28),
    neck=dict(type='GlobalAveragePooling'),
)
