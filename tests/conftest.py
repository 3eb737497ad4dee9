"""Make the repository importable as the package ``flair_landcover`` (its installed name).

The plugin only uses relative imports, so the package name is whatever folder holds it.
``make setup`` links the repository into the venv under that name; when the link is
missing (a bare ``pytest`` from another venv) we make one in a temporary folder.
"""

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "flair_landcover"


def _ensure_importable() -> None:
    try:
        import flair_landcover  # noqa: F401

        if Path(flair_landcover.__file__).resolve().parent == REPO:
            return
    except ImportError:
        pass
    sys.modules.pop(PACKAGE, None)
    holder = Path(tempfile.mkdtemp(prefix="flair-pkg-"))
    os.symlink(REPO, holder / PACKAGE)
    sys.path.insert(0, str(holder))


_ensure_importable()

# Shared test helpers (tests/helpers_*.py) import as top-level modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))
