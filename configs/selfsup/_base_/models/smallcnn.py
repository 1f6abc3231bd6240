# loopwright's SmallCNN backbone (3 stages, 32-64-128 channels) on 28x28 grey images; each algorithm's model base
# (`<algorithm>_smallcnn.py`) adds its type, neck and head. MMSelfSup's own configs use ResNet-50 on ImageNet.
model = dict(backbone=dict(type='SmallCNN', in_channels=1, base_channels=32, stages=3, img_size=28))
