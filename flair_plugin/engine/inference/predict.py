"""The one entry point of inference, for every model: checkpoint in, styled raster out.

``predict`` takes the imagery, the model, and the extra modalities the model declares
(a U-T&T also needs a Sentinel-2 series); it runs everything through the one streaming
pipeline (:mod:`.pipeline`), so every model gets reader threads, ``crop``/``hann``/
``gaussian`` blends, probability and confidence rasters, extents, nodata skipping, CUDA
out-of-memory back-off, progress and cancel, and atomic outputs.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from ..errors import InputError
from .pipeline import PredictionResult, load_model_for_inference
from .pipeline import predict as predict_aerial

PathLike = Union[str, os.PathLike]

__all__ = ["PredictionResult", "predict"]


def predict(inputs, model, output: PathLike, *, sentinel=None, dates=None,
            cloud_masks=None, bands: Optional[Sequence] = None,
            extent: Optional[Sequence[float]] = None, block: Optional[int] = None,
            halo: Optional[int] = None, blend: str = "crop", batch_size: Optional[int] = None,
            device="auto", precision: str = "fp32", num_readers: Optional[int] = None,
            probabilities: Optional[PathLike] = None, confidence: Optional[PathLike] = None,
            input_scale=None, resample_to_model: bool = False, pad: str = "reflect",
            progress=None, cancel=None, warn=None, overwrite: bool = False
            ) -> PredictionResult:
    """Predict a FLAIR land-cover raster with any checkpoint.

    Args:
        inputs: the imagery: a raster, several rasters, or one ``(path, band)`` per model
            band (see :func:`~..io.sources.plan_sources`).
        model: a checkpoint path or a loaded model (``.module`` + ``.meta``).
        output: the class raster to write (FLAIR codes, 0 = no data).
        sentinel, dates, cloud_masks: the Sentinel-2 series of a U-T&T (one file per date
            or a stack with a dates file; optional snow/cloud masks). Refused for a model
            that takes no Sentinel-2.
        block, halo: output block and context margin in pixels (multiples of 32); ``None``
            takes the model's default (512/128 for a U-Net, FLAIR-2's 512/0 for a U-T&T).
        The others: see :func:`~.pipeline.predict`.

    Raises:
        InputError: a bad input or setting, before any tile is read.
        PredictionCancelled: ``cancel()`` returned True; no output is left behind.
    """
    loaded = load_model_for_inference(model)
    if loaded.meta.uses_sentinel:
        if sentinel is None:
            raise InputError("this model is a U-T&T: it also needs a Sentinel-2 series "
                             "(one 10-band raster per date, or a stack with its dates file)")
        from .multimodal import predict_multimodal

        return predict_multimodal(
            inputs, sentinel, loaded, output, dates=dates, cloud_masks=cloud_masks,
            bands=bands, extent=extent, block=block, halo=halo, blend=blend,
            batch_size=batch_size, device=device, precision=precision,
            num_readers=num_readers, probabilities=probabilities, confidence=confidence,
            pad=pad, progress=progress, cancel=cancel, warn=warn, overwrite=overwrite)
    if sentinel is not None:
        raise InputError(f"this model ({loaded.meta.architecture}) takes no Sentinel-2 "
                         f"series: leave the Sentinel-2 input empty, or use a U-T&T model")
    return predict_aerial(
        inputs, loaded, output, bands=bands, extent=extent,
        block=512 if block is None else block, halo=128 if halo is None else halo,
        blend=blend, batch_size=batch_size, device=device, precision=precision,
        num_readers=num_readers, probabilities=probabilities, confidence=confidence,
        input_scale=input_scale, resample_to_model=resample_to_model, pad=pad,
        progress=progress, cancel=cancel, warn=warn, overwrite=overwrite)
