"""Small real models saved as real checkpoint files, for the algorithm tests."""

from pathlib import Path
from typing import Sequence

import torch

from flair_landcover.flair_plugin.engine.checkpoints.store import ModelMeta, save_checkpoint
from flair_landcover.flair_plugin.nomenclature import AERIAL_BANDS, FLAIR1_MEANS, FLAIR1_STDS
from flair_landcover.models.unet import FlairUNet

TINY = dict(encoder="resnet18", encoder_depth=3, decoder_channels=(32, 16, 8))


def tiny_unet(bands: int = 5, logits: int = 19, seed: int = 0) -> FlairUNet:
    torch.manual_seed(seed)
    return FlairUNet(bands, logits, **TINY).eval()


def our_checkpoint(path: Path, bands: int = 5, logit_codes: Sequence[int] = tuple(range(1, 20)),
                   seed: int = 0, **meta_fields) -> Path:
    """A tiny U-Net in this plugin's format (safetensors + JSON meta); ``meta_fields``
    set more of its metadata (e.g. ``tile_size``)."""
    module = tiny_unet(bands, len(logit_codes), seed)
    meta = ModelMeta(in_channels=bands, logit_codes=tuple(logit_codes),
                     bands=AERIAL_BANDS[:bands], means=FLAIR1_MEANS[:bands],
                     stds=FLAIR1_STDS[:bands], encoder=TINY["encoder"],
                     encoder_depth=TINY["encoder_depth"],
                     decoder_channels=TINY["decoder_channels"], source="tests", **meta_fields)
    return save_checkpoint(path, module, meta)


def flair_inc_pth(folder: Path, variant: str = "rgbie_15cl", seed: int = 0) -> Path:
    """A freshly initialised resnet34 U-Net saved exactly as IGN publishes FLAIR-INC."""
    bands = {"rgb": 3, "rgbi": 4, "rgbie": 5}[variant.split("_")[0]]
    torch.manual_seed(seed)
    model = FlairUNet(bands, 19, encoder="resnet34").eval()
    state = {"model." + k: v for k, v in model.state_dict().items()}
    state["criterion.weight"] = torch.ones(19)
    path = folder / f"FLAIR-INC_{variant}_resnet34-unet_weights.pth"
    torch.save(state, path)
    return path


def flair1_lightning_checkpoint(model: FlairUNet, loss_weight):
    """A FLAIR-1 Lightning .ckpt as its trainer writes it (task module attribute `model`)."""
    state = {}
    for key, value in model.state_dict().items():
        if key.startswith("metadata_mlp."):
            key = "enc.enc_mlp." + key[len("metadata_mlp."):]
        state["model." + key] = value
    state["criterion.weight"] = loss_weight
    return {"epoch": 7, "global_step": 700, "pytorch-lightning_version": "2.1.3",
            "state_dict": state, "loops": {}, "callbacks": {}, "optimizer_states": [],
            "lr_schedulers": [], "hparams_name": "kwargs", "hyper_parameters": {}}
