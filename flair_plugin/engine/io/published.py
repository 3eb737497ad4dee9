"""IGN's published FLAIR models, as data in one place, and how to get one onto this disk.

The QGIS model choice, ``flair:downloadmodel`` and ``flair-landcover download`` all read
:data:`PUBLISHED`; a model is fetched from Hugging Face once, into a per-user cache, with
progress and cancel; an interrupted download resumes; a file whose checksum is not the
hub's (or the catalogue's) is refused and removed. Offline, the error names the exact URL
and the exact path to put the file at, so a file copied by hand is used as it is.

No torch import: the toolbox lists and downloads models without loading torch.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple, Union

from ..errors import DownloadCancelled, UserError, WeightsDownloadError

HUB = "https://huggingface.co"


@dataclass(frozen=True)
class PublishedModel:
    """One published weights file and what a user needs to know to choose it."""

    name: str  # the name users type and see (``flair-landcover download NAME``)
    title: str  # readable, for the QGIS list
    repo: str  # Hugging Face repository
    filename: str
    inputs: str  # bands or modalities the model reads
    classes: str
    tile: int  # the patch side the model was trained on, in pixels
    licence: str
    size_mb: Optional[int]  # about, for the user's patience (None: not published)
    score: str  # the published score, with its test set
    sha256: Optional[str] = None  # when the catalogue knows it; else the hub's own
    modalities: Tuple[str, ...] = ("aerial",)  # what a run needs besides the model
    ready: bool = True  # False: runs only once converted (flair-landcover import ...)
    miou: Optional[float] = None  # the published mIoU, for sorting and the README

    def url(self, endpoint: Optional[str] = None) -> str:
        """The file's direct URL (what to fetch by hand)."""
        return f"{(endpoint or hub_endpoint()).rstrip('/')}/{self.repo}/resolve/main/" \
               f"{self.filename}"


def _flair_inc(bands: str, classes: str) -> PublishedModel:
    names = {"rgb": "R,G,B", "rgbi": "R,G,B,NIR", "rgbie": "R,G,B,NIR,elevation"}
    return PublishedModel(
        name=f"FLAIR-INC_{bands}_{classes}", repo=f"IGNF/FLAIR-INC_{bands}_{classes}_resnet34-unet",
        title=f"FLAIR-INC U-Net, {names[bands]}, {classes[:2]} classes",
        filename=f"FLAIR-INC_{bands}_{classes}_resnet34-unet_weights.pth",
        inputs=f"aerial {names[bands]} at 0.2 m", classes=f"{classes[:2]} FLAIR classes",
        tile=512, licence="Etalab 2.0", size_mb=98,
        score=("54.72 mIoU, FLAIR-1 test (model card)" if (bands, classes) == ("rgbie", "15cl")
               else "see the model card"))


def _flair_hub(name: str, inputs: str, miou: Optional[float], params_m: Optional[float],
               modalities: Tuple[str, ...] = ("aerial",), ready: bool = True,
               tile: int = 512) -> PublishedModel:
    backbone = name.split("_")[-1]
    return PublishedModel(
        name=name, title=f"FLAIR-HUB {name.split('_')[1]} {backbone}, {inputs}",
        repo=f"IGNF/{name}", filename=f"{name}.safetensors", inputs=inputs,
        classes="15 land-cover classes (FLAIR codes)", tile=tile, licence="Etalab 2.0",
        size_mb=None if params_m is None else round(params_m * 4),
        score=(f"{miou} mIoU, FLAIR-HUB test (model card)" if miou is not None
               else "see the model card"), modalities=modalities, ready=ready, miou=miou)


_AERIAL_IR = "aerial NIR,R,G (RGBI raster)"
_AERIAL_RGB = "aerial R,G,B (convert first: flair-landcover import --means --stds)"
PUBLISHED: Dict[str, PublishedModel] = {m.name: m for m in (
    *(_flair_inc(b, c) for b in ("rgbie", "rgbi", "rgb") for c in ("15cl", "12cl")),
    _flair_hub("FLAIR-HUB_LC-A_IR_convnextv2tiny-upernet", _AERIAL_IR, 62.7, 29.8),
    _flair_hub("FLAIR-HUB_LC-A_IR_convnextv2base-upernet", _AERIAL_IR, 63.8, None),
    _flair_hub("FLAIR-HUB_LC-A_IR_swinbase-upernet", _AERIAL_IR, None, None, tile=384),
    _flair_hub("FLAIR-HUB_LC-A_RGB_swinbase-upernet", _AERIAL_RGB, None, None, ready=False,
               tile=384),
    _flair_hub("FLAIR-HUB_LC-A_RGB_swinlarge-upernet", _AERIAL_RGB, None, None, ready=False,
               tile=384),
    _flair_hub("FLAIR-HUB_LC-F_swinbase-upernet",
               "aerial NIR,R,G + Sentinel-2 + Sentinel-1 ascending and descending series",
               64.9, 97.7, modalities=("aerial", "sentinel2", "sentinel1"), tile=384))}
"""Every published model this plugin knows, by name; the first is the default choice.
Sizes are 4 bytes a published parameter (None where IGN gives no count)."""


def choices(series: bool = False) -> Tuple[str, ...]:
    """The names a segmentation can run as published: aerial-only models, or with
    ``series`` those that also read satellite time series."""
    return tuple(m.name for m in PUBLISHED.values()
                 if m.ready and (m.modalities != ("aerial",)) == series)


def hub_endpoint() -> str:
    """Hugging Face, or the mirror ``HF_ENDPOINT`` names (an organisation's, a test's)."""
    return os.environ.get("HF_ENDPOINT", "").strip() or HUB


MODELS_DIR_ENV = "FLAIR_MODELS_DIR"
"""A folder shared by a team (a network drive): models are looked for and put there."""


def models_dir(profile_dir: Optional[str] = None) -> Path:
    """Where downloaded models live: :data:`MODELS_DIR_ENV` when set; else
    ``<QGIS profile>/flair_landcover/models`` from QGIS, ``$XDG_CACHE_HOME/flair_landcover``
    (``~/.cache/flair_landcover``) headless."""
    shared = os.environ.get(MODELS_DIR_ENV, "").strip()
    if shared:
        return Path(shared).expanduser()
    if profile_dir:
        return Path(profile_dir) / "flair_landcover" / "models"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flair_landcover"


def published(name: str) -> PublishedModel:
    """The catalogue entry called ``name`` (its name or its file name).

    Raises:
        UserError: an unknown name, with the known ones.
    """
    for model in PUBLISHED.values():
        if name in (model.name, model.filename):
            return model
    raise UserError(f"unknown published model {name!r}; known: {', '.join(PUBLISHED)}")


def cached_path(model: PublishedModel, folder: Union[str, Path]) -> Path:
    """Where ``model`` is (or will be) in ``folder``."""
    return Path(folder) / model.filename


def is_installed(model: PublishedModel, folder: Union[str, Path]) -> bool:
    path = cached_path(model, folder)
    return path.is_file() and path.stat().st_size > 0


def fetch(model: PublishedModel, folder: Union[str, Path], *,
          progress: Callable[[float, str], None] = lambda fraction, message: None,
          cancel: Callable[[], bool] = lambda: False, proxy: Optional[str] = None) -> Path:
    """The path of ``model`` in ``folder``, downloading it first when it is not there.

    Args:
        model: a catalogue entry (:data:`PUBLISHED`).
        folder: the models folder (:func:`models_dir`).
        progress: ``(fraction, message)`` as bytes arrive; cancel: polled as they arrive.
        proxy: ``http://[user:pass@]host:port`` (QGIS's); default: the environment's.

    The bytes go to a hidden ``.<file>.download`` beside the target, which a later call
    resumes (an HTTP range request), and take the file's name only once whole and checked.

    Raises:
        WeightsDownloadError: offline, refused, or a checksum that is not the expected one
            (the file is removed); the message gives the URL and the path for a manual copy.
        DownloadCancelled: ``cancel()`` was True; the part fetched is kept for a resume.
    """
    target = cached_path(model, folder)
    if is_installed(model, folder):
        return target
    partial = target.with_name(f".{target.name}.download")
    if _offline():
        raise WeightsDownloadError(_manual(model, target, "Hugging Face offline mode is on "
                                                          "(HF_HUB_OFFLINE)"))
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        size, hub_sha = _head(model, proxy)
        _get(model, partial, size, progress, cancel, proxy)
    except (DownloadCancelled, WeightsDownloadError):
        raise
    except Exception as exc:  # offline, DNS, HTTP, disk: all end the same way for users
        raise WeightsDownloadError(_manual(model, target, _reason(exc))) from exc
    _check_sum(model, partial, target, model.sha256 or hub_sha)
    os.replace(partial, target)
    return target


def _headers() -> Dict[str, str]:
    """huggingface_hub's headers (the user's token, for gated repositories) when it is
    installed; the download itself needs nothing but the standard library."""
    try:
        from huggingface_hub.utils import build_hf_headers
    except ImportError:
        return {"User-Agent": "flair-landcover"}
    return dict(build_hf_headers(library_name="flair-landcover"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the hub's checksum is on its own answer, before the CDN's


def _opener(proxy: Optional[str], *handlers) -> urllib.request.OpenerDirector:
    proxies = urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else None)
    return urllib.request.build_opener(proxies, *handlers)


def _head(model: PublishedModel, proxy: Optional[str]
          ) -> Tuple[Optional[int], Optional[str]]:
    """(size, SHA-256) as the hub announces them: an LFS file's SHA-256 is its ETag."""
    request = urllib.request.Request(model.url(), method="HEAD", headers=_headers())
    opener = _opener(proxy, _NoRedirect)
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as answer:
        if answer.code not in (301, 302, 303, 307, 308):
            raise
        response = answer
    with response:
        headers = response.headers
        etag = (headers.get("X-Linked-Etag") or headers.get("ETag") or "").strip('W/"')
        size = headers.get("X-Linked-Size") or (
            headers.get("Content-Length") if response.status == 200 else None)
    return (int(size) if size else None,
            etag if re.fullmatch(r"[0-9a-f]{64}", etag) else None)


def _get(model: PublishedModel, partial: Path, size: Optional[int],
         progress: Callable[[float, str], None], cancel: Callable[[], bool],
         proxy: Optional[str]) -> None:
    done = partial.stat().st_size if partial.is_file() else 0
    if size is not None and done > size:
        done = 0  # not this file's beginning: start again
    headers = dict(_headers(), **({"Range": f"bytes={done}-"} if done else {}))
    if size is not None and done == size:
        return
    request = urllib.request.Request(model.url(), headers=headers)
    with _opener(proxy).open(request, timeout=60) as response:
        if done and response.status != 206:  # the server ignored the range
            done = 0
        with open(partial, "ab" if done else "wb") as out:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                if cancel():
                    raise DownloadCancelled(f"download of {model.name} cancelled; run it "
                                            f"again to resume where it stopped")
                out.write(chunk)
                done += len(chunk)
                if size:
                    progress(min(1.0, done / size), f"{model.name}: {done / 1e6:.0f} of "
                                                    f"{size / 1e6:.0f} MB")
            out.flush()
            os.fsync(out.fileno())
    if size is not None and done != size:
        raise OSError(f"the connection ended after {done} of {size} bytes; run it again "
                      f"to resume")


def _check_sum(model: PublishedModel, partial: Path, target: Path,
               expected: Optional[str]) -> None:
    """Compare with the catalogue's checksum, else the hub's."""
    if expected is None:
        return
    digest = hashlib.sha256()
    with open(partial, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        partial.unlink()
        raise WeightsDownloadError(_manual(
            model, target, f"the file received has SHA-256 {digest.hexdigest()[:12]}…, not "
                           f"the published {expected[:12]}… (a damaged or altered download; "
                           f"it was removed)"))


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _manual(model: PublishedModel, target: Path, reason: str) -> str:
    return (f"could not download {model.name}: {reason.strip().rstrip('.')}. Download "
            f"{model.url()} yourself (a browser will do) and save it as {target}, or give "
            f"its path as the model file")


def describe(model: PublishedModel, folder: Union[str, Path]) -> Tuple[str, bool]:
    """(the list entry a user reads, whether it is on disk)."""
    installed = is_installed(model, folder)
    mark = "✓ " if installed else ""
    size = f"{model.size_mb} MB" if model.size_mb else "size not published"
    return (f"{mark}{model.name}: {model.title} ({model.score}; {size}"
            f"{'' if installed else ', downloaded on first use'})", installed)
