"""The training driver: options and model, the epoch loop with progress, signals and
checkpoints, the training log, exports, and distributed training on Dask."""
