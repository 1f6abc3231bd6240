# Fashion-MNIST for the clustering algorithms (DeepCluster, ODC): one augmented view per image, the sample index
# packed with it, a DeepClusterSampler, and the un-augmented training set the DeepClusterHook extracts features from.
# Fashion-MNIST's normalisation (the mean and std of its training pixels); the runner gives it to the model.
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[72.94], std=[90.02])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', size=28, scale=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5),
    # Brightness and contrast, as in the views of the contrastive configs (MMSelfSup's DeepCluster pipeline jitters
    # every image): without them a cluster can be an intensity histogram instead of a shape.
    dict(type='ColorJitter', brightness=0.4, contrast=0.4),
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx'], meta_keys=['img_path']),
]
extract_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=0,
    sampler=dict(type='DeepClusterSampler', shuffle=True, replace=True),
    dataset=dict(type='FashionMNIST', split='train', pipeline=train_pipeline),
)
extract_dataloader = dict(
    batch_size=512,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=True),
    dataset=dict(type='FashionMNIST', split='train', pipeline=extract_pipeline),
)
