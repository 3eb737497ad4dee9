"""Streaming inference: raster → tiles of named modalities → model → blend → writer."""
