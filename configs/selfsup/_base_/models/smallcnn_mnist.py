# The SmallCNN of smallcnn.py with MNIST's normalisation (mean and std of its training pixels).
_base_ = ['./smallcnn.py']
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[33.46], std=[78.87])
model = dict(data_preprocessor=data_preprocessor)
