"""Build the plugin zip that QGIS's "Install from ZIP" accepts.

One top-level folder (``flair_landcover`` by default), runtime files only: no tests, no
venv, no caches. Usage: ``python scripts/package.py [--output dist/x.zip] [--folder name]``.
"""

from __future__ import annotations

import argparse
import fnmatch
import zipfile
from pathlib import Path
from typing import Iterator, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
RUNTIME = ("metadata.txt", "__init__.py", "README.md", "LICENSE", "requirements.txt",
           "flair_plugin", "models", "resources", "i18n")
SKIPPED = ("__pycache__", "*.pyc", ".*", "*.ts")  # .ts: compiled to the .qm QGIS reads


def runtime_files(repo: Path = REPO) -> Iterator[Path]:
    for name in RUNTIME:
        path = repo / name
        if path.is_file():
            yield path
        elif path.is_dir():
            for f in sorted(path.rglob("*")):
                parts = f.relative_to(repo).parts
                if f.is_file() and not any(fnmatch.fnmatch(p, s) for p in parts for s in SKIPPED):
                    yield f


def _translations():
    """scripts/translations.py, loaded by path: scripts/ is no package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("flair_translations",
                                                  Path(__file__).with_name("translations.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(output: Path, folder: str = "flair_landcover", repo: Path = REPO) -> Path:
    """The zip at ``output``, its translations compiled first (lrelease: .ts -> .qm)."""
    _translations().release(repo)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in runtime_files(repo):
            archive.write(f, f"{folder}/{f.relative_to(repo).as_posix()}")
    tmp.replace(output)
    return output


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "dist" / "flair_landcover.zip")
    parser.add_argument("--folder", default="flair_landcover")
    args = parser.parse_args(argv)
    print(build(args.output, args.folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
