"""Torch modules of the FLAIR models: U-Net with its metadata MLP, U-TAE, U-T&T."""
