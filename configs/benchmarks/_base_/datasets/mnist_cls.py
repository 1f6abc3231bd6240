# MNIST for the linear probe: the 60 000 training images (random crops of most of the image, no flip: a mirrored
# digit is another shape) train the head; the 10 000 test images score it.
# MNIST's normalisation (the mean and std of its training pixels); the runner gives it to the model.
data_preprocessor = dict(type='ClsDataPreprocessor', mean=[33.46], std=[78.87])
train_pipeline = [
    dict(type='RandomResizedCrop', size=28, scale=(0.6, 1.0)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='MNIST', split='train', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='MNIST', split='test'),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
val_cfg = dict()
test_dataloader = val_dataloader
test_evaluator = val_evaluator
test_cfg = dict()
