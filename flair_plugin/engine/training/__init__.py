"""Training: patches → Lightning → checkpoint."""
