"""Training and evaluation data: FLAIR patches, Sentinel-2 series, loaders."""
