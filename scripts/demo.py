"""``make demo``: the most complete real job the project does so far, end to end.

1. generate a FLAIR-like area (5-band 0.2 m orthophoto + its annotation, EPSG:2154);
2. style the annotation with ``flair:applystyle`` through ``qgis_process`` with the
   packaged plugin installed in a throw-away QGIS profile, as a batch user would;
3. render the aerial image and the styled land cover with its legend to a PNG with
   QGIS's layout engine, and say where everything is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the demo has no screen
REPO = Path(__file__).resolve().parents[1]
QGIS_PROCESS = "/usr/bin/qgis_process.bin"


def _import_plugin():
    """The repository as the package ``flair_landcover`` (its installed name)."""
    try:
        import flair_landcover  # noqa: F401
    except ImportError:
        holder = Path(tempfile.mkdtemp(prefix="flair-pkg-"))
        os.symlink(REPO, holder / "flair_landcover")
        sys.path.insert(0, str(holder))


def install_plugin(workdir: Path) -> dict:
    """Build the zip, unzip it into a plugins folder, enable it: the qgis_process env."""
    zip_path = workdir / "flair_landcover.zip"
    subprocess.run([sys.executable, str(REPO / "scripts" / "package.py"), "--output",
                    str(zip_path)], check=True, stdout=subprocess.DEVNULL)
    plugins = workdir / "plugins"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(plugins)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QGIS_PLUGINPATH=str(plugins),
               QGIS_CUSTOM_CONFIG_PATH=str(workdir / "profile"))
    import site

    env["PYTHONPATH"] = os.pathsep.join(site.getsitepackages())
    qgis_process(["plugins", "enable", "flair_landcover"], env)
    return env


def qgis_process(args, env) -> str:
    print("$ qgis_process", " ".join(args), flush=True)
    done = subprocess.run([QGIS_PROCESS, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"qgis_process failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def render(image: Path, annotation: Path, png: Path) -> Path:
    from qgis.core import QgsApplication, QgsMultiBandColorRenderer, QgsProject, QgsRasterLayer

    from flair_landcover.flair_plugin.styling.render import export_maps_png

    app = QgsApplication([], False)
    app.initQgis()
    aerial = QgsRasterLayer(str(image), "aerial RGB")
    aerial.setRenderer(QgsMultiBandColorRenderer(aerial.dataProvider(), 1, 2, 3))
    classes = QgsRasterLayer(str(annotation), "annotation")  # styled by its .qml sidecar
    QgsProject.instance().addMapLayers([aerial, classes])
    return export_maps_png([[aerial], [classes]], ["Aerial image (R, G, B)",
                                                   "Annotation, FLAIR style"],
                           [classes], png, title="FLAIR Land Cover demo")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "demo-output")
    parser.add_argument("--size", type=int, default=2048, help="side of the area in pixels")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    _import_plugin()
    from flair_landcover.flair_plugin.engine.synthetic import write_mosaic

    out = args.output.resolve()
    if out.exists():
        shutil.rmtree(out)  # the demo's own folder: always a fresh run
    out.mkdir(parents=True)
    image, annotation = out / "area_RGBIE.tif", out / "area_MSK.tif"
    print(f"Generating a FLAIR-like area of {args.size}x{args.size} px at 0.2 m...")
    write_mosaic(image, annotation, args.size, args.size, seed=args.seed)

    with tempfile.TemporaryDirectory(prefix="flair-demo-qgis-") as qgis_dir:
        env = install_plugin(Path(qgis_dir))
        print(qgis_process(["run", "flair:applystyle", "--", f"INPUT={annotation}",
                            "SCHEME=flair19"], env))
    png = render(image, annotation, out / "demo_map.png")
    print("\nDone. Files:")
    for path in sorted(out.iterdir()):
        print(f"  {path}")
    print(f"\nOpen {annotation} in QGIS: it loads with the FLAIR colours and class names "
          f"({annotation.with_suffix('.qml').name}). The map with its legend: {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
