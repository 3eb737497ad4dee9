"""``make demo``: the most complete real job the project does, end to end.

With the packaged plugin installed in a throw-away QGIS profile, everything through
``qgis_process`` as a batch user would run it:

1. generate FLAIR-like training data (FLAIR's GitHub layout) and a separate area
   (5-band 0.2 m orthophoto + its annotation, EPSG:2154);
2. train a small U-Net briefly with ``flair:train`` (CPU: a few minutes);
3. segment the area with ``flair:segmentaerial``;
4. evaluate the prediction against the annotation with ``flair:evaluate`` (HTML report,
   metrics, agreement raster); style the annotation with ``flair:applystyle``;
5. render imagery, prediction and annotation with the legend to a PNG with QGIS's layout
   engine, and say where everything is.
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


def render(image: Path, prediction: Path, annotation: Path, png: Path) -> Path:
    from qgis.core import QgsApplication, QgsMultiBandColorRenderer, QgsProject, QgsRasterLayer

    from flair_landcover.flair_plugin.styling.render import export_maps_png

    app = QgsApplication([], False)
    app.initQgis()
    aerial = QgsRasterLayer(str(image), "aerial RGB")
    aerial.setRenderer(QgsMultiBandColorRenderer(aerial.dataProvider(), 1, 2, 3))
    predicted = QgsRasterLayer(str(prediction), "prediction")  # styled by its .qml sidecar
    reference = QgsRasterLayer(str(annotation), "annotation")
    QgsProject.instance().addMapLayers([aerial, predicted, reference])
    return export_maps_png([[aerial], [predicted], [reference]],
                           ["Aerial image (R, G, B)", "flair:segmentaerial",
                            "Annotation"], [reference], png,
                           title="FLAIR Land Cover demo: a U-Net trained briefly on "
                                 "generated FLAIR-like data")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "demo-output")
    parser.add_argument("--size", type=int, default=1024, help="side of the area in pixels")
    parser.add_argument("--patch", type=int, default=256, help="training patch size")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    _import_plugin()
    from flair_landcover.synthetic.generator import write_dataset, write_mosaic

    out = args.output.resolve()
    if out.exists():
        shutil.rmtree(out)  # the demo's own folder: always a fresh run
    out.mkdir(parents=True)
    image, annotation = out / "area_RGBIE.tif", out / "area_MSK.tif"
    print(f"Generating FLAIR-like training data and an area of {args.size}x{args.size} px "
          "at 0.2 m...", flush=True)
    write_dataset(out / "flair_data", layout="github", domains=DEMO_DOMAINS,
                  zones_per_domain=3, patches_per_zone=4, size=args.patch, seed=args.seed,
                  sentinel=False)
    write_mosaic(image, annotation, args.size, args.size, seed=args.seed)

    with tempfile.TemporaryDirectory(prefix="flair-demo-qgis-") as qgis_dir:
        env = install_plugin(Path(qgis_dir))
        model = train(out, env, args.epochs)
        qgis_process(["run", "flair:segmentaerial", "--", f"INPUT={image}", f"MODEL={model}",
                      f"OUTPUT={out / 'landcover.tif'}", "BLEND=hann"], env)
        report = qgis_process(["run", "flair:evaluate", "--", f"PREDICTION={out / 'landcover.tif'}",
                               f"REFERENCE={annotation}", "SCHEME=flair19",
                               f"OUTPUT_REPORT={out / 'evaluation.html'}",
                               f"OUTPUT_METRICS={out / 'evaluation.json'}",
                               f"OUTPUT_AGREEMENT={out / 'agreement.tif'}"], env)
        print("\n".join(line for line in report.splitlines() if "mIoU" in line or "MIOU" in line))
        qgis_process(["run", "flair:applystyle", "--", f"INPUT={annotation}",
                      "SCHEME=flair19"], env)
    png = render(image, out / "landcover.tif", annotation, out / "demo_map.png")
    print("\nDone. Files:")
    for path in sorted(out.iterdir()):
        print(f"  {path}")
    print(f"\nOpen {out / 'landcover.tif'} in QGIS: it loads with the FLAIR colours and class "
          f"names. The map with its legend: {png}; the evaluation: {out / 'evaluation.html'}")
    return 0


DEMO_DOMAINS = {"train": ["D006_2020", "D013_2020", "D033_2021"], "val": ["D004_2021"]}


def train(out: Path, env: dict, epochs: int) -> Path:
    run = out / "training"
    print(f"Training a small U-Net for {epochs} epochs on the CPU...", flush=True)
    log = qgis_process(["run", "flair:train", "--", f"DATASET={out / 'flair_data'}",
                  "TRAIN_DOMAINS=D006,D013,D033", "VAL_DOMAINS=D004", "SCHEME=15cl",
                  "ENCODER=resnet18", f"EPOCHS={epochs}", "BATCH=8", "OPTIMIZER=adamw",
                  "LR=0.002", f"OUTPUT_DIR={run}"], env)
    print("\n".join(line for line in log.splitlines() if "mIoU" in line))
    return run / "best.flair.safetensors"


if __name__ == "__main__":
    raise SystemExit(main())
