"""The training loss: one class-weighted cross-entropy for every head of every model.

The U-Net's loss and both terms of the U-T&T's (aerial head, and FLAIR-2's auxiliary
satellite head) are :func:`weighted_cross_entropy` with the run's class weights: the
classes a scheme leaves out weigh 0, and so does plowed land in the satellite term
(FLAIR-2: not separable from agricultural land at 10 m). The function itself lives with
the models (torch only, used by ``models.utt.UTTLoss`` as well) and is re-exported here.

Sparse annotations (patches exported from polygons, :mod:`..data.export`): a pixel no
polygon covers holds :data:`~...nomenclature.NOT_ANNOTATED` in its mask, which the class
scheme maps to :data:`IGNORE_INDEX`; such pixels add nothing to the loss, its weight or the
validation confusion matrix.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch

from ....models.utt import IGNORE_INDEX, pixel_weights, utt_class_weights, weighted_cross_entropy
from ...nomenclature import CLASSES

__all__ = ["IGNORE_INDEX", "PLOWED_LAND", "head_class_weights", "pixel_weights",
           "segmentation_loss", "weighted_cross_entropy"]

PLOWED_LAND = next(c.code for c in CLASSES if c.name == "plowed land")


def head_class_weights(logit_codes: Sequence[int], class_weights: Sequence[float]
                       ) -> Tuple[Tuple[float, ...], Tuple[float, ...]]:
    """The (aerial, satellite) loss weight of every logit.

    Args:
        logit_codes: the FLAIR code of each logit (0 = inactive).
        class_weights: the scheme's weight of each logit (0 for the classes it leaves out).

    Returns:
        The aerial weights (``class_weights``), and the satellite ones: the same, with
        plowed land (and inactive logits) at 0, as FLAIR-2's U-T&T.
    """
    satellite = utt_class_weights(logit_codes, sat_excluded=(PLOWED_LAND,))[1]
    aerial = tuple(float(w) for w in class_weights)
    return aerial, tuple(w * s for w, s in zip(aerial, satellite))


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, weights: torch.Tensor,
                      sat_logits: Optional[torch.Tensor] = None,
                      sat_weights: Optional[torch.Tensor] = None,
                      aux_weight: float = 1.0) -> torch.Tensor:
    """The loss of a batch: weighted CE of the aerial head, plus, for a U-T&T,
    ``aux_weight`` × the weighted CE of the satellite head (FLAIR-2's loss).

    Computed in float32 whatever the autocast precision (a half-precision log-softmax
    over 19 classes loses the small probabilities).

    Args:
        logits: N×K×H×W aerial logits.
        target: N×H×W logit indices (long).
        weights: K aerial class weights.
        sat_logits: N×K×H×W satellite-head logits (U-T&T), or None (U-Net).
        sat_weights: K satellite class weights; required with ``sat_logits``.
        aux_weight: weight of the satellite term.

    Raises:
        ValueError: ``sat_logits`` without ``sat_weights`` (a programming error).
    """
    loss = weighted_cross_entropy(logits.float(), target, weights)
    if sat_logits is None:
        return loss
    if sat_weights is None:
        raise ValueError("the satellite head's loss needs its class weights (sat_weights)")
    return loss + aux_weight * weighted_cross_entropy(sat_logits.float(), target, sat_weights)
