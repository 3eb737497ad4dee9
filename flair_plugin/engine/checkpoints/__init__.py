"""Checkpoints: our self-describing format, its metadata, importers of IGN's layouts."""
