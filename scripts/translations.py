"""Extract the plugin's texts for Qt Linguist and compile the translations.

``python scripts/translations.py`` (``make translations``) re-extracts every ``tr()``,
``QCoreApplication.translate`` and ``QT_TRANSLATE_NOOP`` text of ``flair_plugin/`` into
``i18n/flair_landcover_<lang>.ts`` with pylupdate5 (translations already made are kept;
texts no longer in the code are dropped), then compiles each ``.ts`` to the ``.qm`` that
QGIS loads, with lrelease. ``--release-only`` compiles without extracting (``make
package``). Translate the new texts in Qt Linguist (``linguist i18n/flair_landcover_fr.ts``)
or any editor: an empty ``<translation type="unfinished">`` shows in English.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
I18N = REPO / "i18n"
LANGUAGES = ("fr",)
SOURCES = ("flair_plugin",)


def tool(name: str) -> str:
    """The path of a Qt tool, with the Debian package that brings it when missing."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists()
                                   else None)
    if found is None:
        package = "pyqt5-dev-tools" if name == "pylupdate5" else "qttools5-dev-tools"
        sys.exit(f"{name} is missing: sudo apt-get install {package}")
    return found


def python_sources(repo: Path = REPO) -> List[str]:
    return sorted(str(p.relative_to(repo)) for folder in SOURCES
                  for p in (repo / folder).rglob("*.py") if "__pycache__" not in p.parts)


def ts_path(lang: str, repo: Path = REPO) -> Path:
    return repo / "i18n" / f"flair_landcover_{lang}.ts"


def extract(repo: Path = REPO) -> List[Path]:
    """Update every language's ``.ts`` from the code (pylupdate5 keeps done translations)."""
    files = [ts_path(lang, repo) for lang in LANGUAGES]
    (repo / "i18n").mkdir(exist_ok=True)
    subprocess.run([tool("pylupdate5"), "-noobsolete", *python_sources(repo), "-ts",
                    *map(str, files)], cwd=repo, check=True, capture_output=True)
    for lang, ts in zip(LANGUAGES, files):
        # pylupdate5 leaves the language out; Qt Linguist and lrelease want it
        text = ts.read_text(encoding="utf-8")
        ts.write_text(text.replace('<TS version="2.1">',
                                   f'<TS version="2.1" language="{lang}" sourcelanguage="en">'),
                      encoding="utf-8")
    return files


def release(repo: Path = REPO) -> List[Path]:
    """Compile every ``.ts`` of ``i18n/`` to its ``.qm`` beside it."""
    compiled = []
    for ts in sorted((repo / "i18n").glob("*.ts")):
        qm = ts.with_suffix(".qm")
        subprocess.run([tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True,
                       capture_output=True)
        compiled.append(qm)
    return compiled


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release-only", action="store_true",
                        help="compile the .ts files without extracting the texts again")
    args = parser.parse_args(argv)
    if not args.release_only:
        for ts in extract():
            print(ts)
    for qm in release():
        print(qm)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
