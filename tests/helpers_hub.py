"""FLAIR-HUB checkpoints for tests: IGN's layout, random or reference weights."""

from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import torch
from safetensors.torch import load_file, save_file

from flair_landcover.models.flair_hub import FlairHubModel

DATA = Path(__file__).resolve().parent / "data"
FIXTURE = "flair_hub_test_convnext_upernet"
"""Made with IGN's FLAIR_HUB_Model and smp 0.4.0 by scripts/flair_hub_reference.py
(test_convnext-upernet, 64 px, weights rounded to float16 values)."""

COSIA = "AERIAL_LABEL-COSIA"
LPIS = "ALL_LABEL-LPIS"


def reference_fixture(folder: Path, name: str = "FLAIR-HUB_LC-A_IR_testconvnext-upernet"
                      ) -> Tuple[Path, torch.Tensor, Dict[str, torch.Tensor]]:
    """The checked-in reference as IGN publishes weights (float32 safetensors, keys
    ``model.encoders...``): its path, the input and each task's reference logits."""
    weights = {k: (v.float() if v.is_floating_point() else v)
               for k, v in load_file(str(DATA / f"{FIXTURE}.safetensors")).items()}
    path = folder / f"{name}.safetensors"
    save_file(weights, str(path))
    ref = load_file(str(DATA / f"{FIXTURE}.reference.safetensors"))
    logits = {k[len("logits."):]: v for k, v in ref.items() if k.startswith("logits.")}
    return path, ref["x"].float(), logits


def ign_layout(model: FlairHubModel, *, prefix: str = "model.", aux: bool = True,
               fusion: bool = True, criterion: bool = True) -> Dict[str, torch.Tensor]:
    """``model``'s weights laid out as FLAIR-HUB's training saves them: with the
    one-modality fusion convolutions, an auxiliary decoder and loss weights that IGN's
    files carry and inference never runs."""
    state = {prefix + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    channels = [c for c in model.features_channels() if c]
    if fusion and not model.series_names:  # with series, the model has its own
        for i, c in enumerate(channels):
            state[f"{prefix}fusion_handler.conv_f.{i}.weight"] = torch.randn(c, c, 1, 1)
            state[f"{prefix}fusion_handler.conv_f.{i}.bias"] = torch.randn(c)
    if aux:
        task = model.task_names[0]
        for k, v in model.main_decoders[task].state_dict().items():
            state[f"{prefix}aux_decoders.{model.modality}__{task}.{k}"] = v.clone()
    if criterion:
        state[f"{prefix}criterion.{model.task_names[0]}.weight"] = torch.ones(19)
    return state


def random_hub_model(encoder: str = "convnextv2_atto", decoder: str = "upernet",
                     tasks: Sequence[Tuple[str, int]] = ((COSIA, 19),),
                     img_size: Optional[int] = None, seed: int = 0,
                     channels: int = 3) -> FlairHubModel:
    """A FLAIR-HUB network with random weights and batch-norm statistics (eval mode)."""
    torch.manual_seed(seed)
    model = FlairHubModel(encoder, decoder, "AERIAL_RGBI", channels, list(tasks), img_size)
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if key.endswith("running_var"):
                value.copy_(torch.rand_like(value) + 0.5)
            elif key.endswith("running_mean"):
                value.copy_(torch.randn_like(value) * 0.1)
    return model.eval()
