"""The package's layout rules, read off the source with ``ast`` (nothing is imported).

* ``models/`` is torch-only: it imports nothing from ``flair_plugin`` (the engine passes in
  what the networks need, e.g. class weights);
* no module imports a private name (``from x import _y``) from another module of the project;
* the engine (``flair_plugin/engine/``) never imports QGIS: it runs headless;
* the plugin zip ships neither the synthetic-data generators nor tests.
"""

from __future__ import annotations

import ast
import importlib.util
import zipfile
from pathlib import Path
from typing import Iterator, List, Tuple

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "flair_landcover"  # the repository root is this package
PROJECT_DIRS = ("flair_plugin", "models", "synthetic", "scripts", "benchmarks")


def python_files(*folders: str) -> List[Path]:
    return sorted(f for folder in folders for f in (REPO / folder).rglob("*.py")
                  if "__pycache__" not in f.parts)


def module_name(path: Path) -> str:
    """Dotted name of a file of the repository inside the package."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def imports(path: Path) -> Iterator[Tuple[int, str, List[str]]]:
    """(line, absolute module, imported names) for every import in a file, nested ones too.

    Relative imports are resolved against the file's package; ``import a.b`` gives
    ("a.b", []).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module, [alias.name for alias in node.names]


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(REPO)}:{line}"


def test_the_import_resolver():
    utt = REPO / "models" / "utt.py"
    assert module_name(utt) == "flair_landcover.models.utt"
    assert module_name(REPO / "models" / "__init__.py") == "flair_landcover.models"
    found = {module for _, module, _ in imports(utt)}
    assert "flair_landcover.models.utae" in found and "torch" in found


def test_models_import_nothing_from_flair_plugin():
    bad = [f"{where(f, line)} imports {module}"
           for f in python_files("models")
           for line, module, _ in imports(f)
           if module.split(".")[:2] == [PACKAGE, "flair_plugin"]
           or module.split(".")[0] == "flair_plugin"]
    assert bad == []


def test_no_private_name_is_imported_from_another_module():
    bad = []
    for f in python_files(*PROJECT_DIRS):
        for line, module, names in imports(f):
            if module.split(".")[0] not in (PACKAGE, *PROJECT_DIRS):
                continue  # not the project's
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            private += [p for p in module.split(".") if p.startswith("_")
                        and not p.startswith("__")]
            if private:
                bad.append(f"{where(f, line)} imports {', '.join(private)} from {module}")
    assert bad == []


def test_the_engine_never_imports_qgis():
    bad = [f"{where(f, line)} imports {module}"
           for f in python_files("flair_plugin/engine")
           for line, module, _ in imports(f)
           if module.split(".")[0] == "qgis"]
    assert bad == []


def test_the_plugin_zip_ships_no_generator_and_no_test(tmp_path):
    spec = importlib.util.spec_from_file_location("package_script", REPO / "scripts" / "package.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with zipfile.ZipFile(script.build(tmp_path / "plugin.zip")) as archive:
        names = archive.namelist()
    assert any(n.endswith("/models/utt.py") for n in names)  # the zip is not empty

    def shipped_wrongly(name: str) -> bool:
        parts = name.split("/")[1:]  # below the top-level folder
        base = parts[-1]
        return ("synthetic" in parts or "tests" in parts or base == "conftest.py"
                or (base.startswith("test_") and base.endswith(".py"))
                or base.endswith("_test.py"))

    assert [n for n in names if shipped_wrongly(n)] == []
