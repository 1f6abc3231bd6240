# The kNN benchmark's data on MNIST: every training image is the labelled bank, the 10 000 test images are the
# queries. The KNN metric reads them in this order: the bank first, then the queries.
# MNIST's normalisation (the mean and std of its training pixels); the runner gives it to the model.
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[33.46], std=[78.87])
test_dataloader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ConcatDataset', datasets=[
        dict(type='MNIST', split='train'),
        dict(type='MNIST', split='test'),
    ]),
)
# Cosine similarity, the k nearest vote with weights exp(sim / T), as MMSelfSup's kNN test (k = 10, 20, 100, 200).
test_evaluator = dict(type='KNN', bank_size=60000, topk=(10, 20, 100, 200), temperature=0.07)
test_cfg = dict()
