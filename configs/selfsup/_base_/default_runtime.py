default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    # loopwright's own: one warning line when the logged feat_std (SimSiam's collapse statistic) falls below 0.01.
    collapse=dict(type='CollapseDetectionHook', threshold=0.01),
)
randomness = dict(seed=0)
