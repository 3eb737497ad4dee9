"""The one place a FLAIR network is built from its description.

Training builds the network it is about to train from a :class:`~.meta.ModelMeta` (the
same description it then saves with the weights), and loading a checkpoint rebuilds it
from the saved one: a model file therefore always loads into exactly the module that
was trained, whatever the architecture.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Union

from .meta import HUB_ARCHITECTURE, CheckpointError, ModelMeta

if TYPE_CHECKING:
    from ....models.flair_hub import FlairHubModel
    from ....models.unet import FlairUNet
    from ....models.utt import FlairUTT

__all__ = ["build_module"]


def build_module(meta: ModelMeta) -> "Union[FlairUNet, FlairUTT, FlairHubModel]":
    """A freshly initialised network of the shape ``meta`` describes.

    Args:
        meta: the model's description; ``architecture`` "flair-unet" gives a
            :class:`FlairUNet`, "flair-utt" a :class:`FlairUTT` with ``meta.temporal``'s
            U-TAE branch, "flair-hub" a :class:`FlairHubModel` (timm encoder, one decoder
            per task of ``meta.hub``).

    Returns:
        The module, in training mode, on the CPU, with random weights (torch imported here
        only, so the toolbox can read a model's description without torch).

    Raises:
        CheckpointError: the description names an encoder the installed
            segmentation-models-pytorch lacks, or widths the layers cannot take.
    """
    try:
        if meta.architecture == "flair-utt":
            return _build_utt(meta)
        if meta.architecture == HUB_ARCHITECTURE:
            return _build_hub(meta)
        from ....models.unet import FlairUNet

        return FlairUNet(in_channels=meta.in_channels, num_classes=meta.num_logits,
                         encoder=meta.encoder, metadata_mlp=meta.metadata_mlp,
                         encoder_depth=meta.encoder_depth,
                         decoder_channels=meta.decoder_channels or None)
    except (KeyError, ValueError, TypeError, RuntimeError, AssertionError) as exc:
        # smp and the U-TAE refuse an unknown encoder or inconsistent widths this way
        detail = " ".join(str(exc).strip("'\"").split())[:300]
        raise CheckpointError(f"cannot build a {meta.architecture} with encoder "
                              f"{meta.encoder!r}, depth {meta.encoder_depth}: {detail}") from None


def _build_utt(meta: ModelMeta) -> "FlairUTT":
    from ....models.utt import FlairUTT, TemporalConfig

    # TemporalMeta holds TemporalConfig's fields (same names) plus the data preparation
    names = {f.name for f in fields(TemporalConfig)}
    config = TemporalConfig(**{k: v for k, v in meta.temporal.to_dict().items() if k in names})
    return FlairUTT(in_channels_aerial=meta.in_channels, n_classes=meta.num_logits,
                    encoder=meta.encoder, encoder_depth=meta.encoder_depth,
                    decoder_channels=meta.decoder_channels or None,
                    metadata_mlp=meta.metadata_mlp, temporal=config)


def _build_hub(meta: ModelMeta) -> "FlairHubModel":
    from ....models.flair_hub import FlairHubModel

    hub = meta.hub
    return FlairHubModel(meta.encoder, hub.decoder, hub.modality, meta.in_channels,
                         list(zip(hub.tasks, hub.task_classes)), hub.img_size or None,
                         series=hub.series_shapes())
