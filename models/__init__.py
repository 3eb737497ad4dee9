"""Torch modules of the FLAIR models (U-Net with its metadata MLP; U-TAE and U-T&T later)."""
