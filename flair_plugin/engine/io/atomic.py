"""Atomic file writes (placeholder by the lead; helper-2 replaces it with the full helper)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..errors import OutputExistsError


def temp_path_for(final) -> Path:
    final = Path(final)
    return final.with_name(f".{final.stem}.{secrets.token_hex(4)}.part{final.suffix}")


def commit(temp, final, *, overwrite: bool = True) -> None:
    if not overwrite and os.path.exists(final):
        raise OutputExistsError(f"{final} appeared during the run: it was kept")
    os.replace(temp, final)


def discard(temp) -> None:
    try:
        os.remove(temp)
    except FileNotFoundError:
        pass
