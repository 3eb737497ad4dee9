"""The headless ``flair-landcover`` command."""
