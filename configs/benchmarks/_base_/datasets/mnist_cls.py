# MNIST for the linear probe: the 60 000 training images, as they are, train the head; the 10 000 test images
# score it. No augmentation (MMSelfSup's linear evaluation crops and flips, over 100 epochs): in a
# probe of a few epochs it moves the frozen features of the training images away from those of the test images
# (docs/selfsup.md, "The linear probe's schedule": crops and flips cost a random-init backbone 12 points of top-1).
# MNIST's normalisation (the mean and std of its training pixels); the runner gives it to the model.
data_preprocessor = dict(type='ClsDataPreprocessor', mean=[33.46], std=[78.87])
train_pipeline = [dict(type='PackInputs')]
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
