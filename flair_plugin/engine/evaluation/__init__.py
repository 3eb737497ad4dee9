"""Evaluation: prediction + reference → confusion matrix → metrics and report."""
