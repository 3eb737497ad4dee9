"""Training data: discovery by file name in both FLAIR layouts, splits, checks, serving.

Every dataset here is written by the synthetic generator in FLAIR's own layouts, then
read back the way a user's real copy would be; bad inputs are made by breaking real
files (deleting masks, rewriting a mask with a wrong value or size, a 3-band image).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch

from flair_landcover.flair_plugin import nomenclature as nom
from flair_landcover.flair_plugin.engine.data import patches as ds
from flair_landcover.models.metadata_encoding import encode_aerial_metadata
from flair_landcover.synthetic.generator import write_dataset

SIZE = 32


@pytest.fixture(scope="module")
def github(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("gh") / "flair", layout="github",
                         zones_per_domain=2, patches_per_zone=3, size=SIZE, seed=2,
                         sentinel=False)


@pytest.fixture(scope="module")
def by_domain(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("dom") / "flair", layout="domain",
                         zones_per_domain=1, patches_per_zone=2, size=SIZE, seed=3,
                         sentinel=False)


@pytest.fixture()
def copy_of(tmp_path):
    """A private copy of a module dataset, to break."""
    def make(dataset):
        target = tmp_path / "copy"
        shutil.copytree(dataset.root, target)
        return target
    return make


def _rewrite(path: Path, array: np.ndarray) -> None:
    with rasterio.open(path) as src:
        profile = src.profile
    array = array if array.ndim == 3 else array[None]
    profile.update(count=array.shape[0], height=array.shape[1], width=array.shape[2])
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array)


# --------------------------------------------------------------------------- discovery


@pytest.mark.parametrize("layout", ["github", "by_domain"])
def test_discovery_pairs_every_image_with_its_mask_in_both_layouts(layout, request):
    data = request.getfixturevalue(layout)
    pairs, counts = ds.discover_pairs(data.root)
    written = {p.patch_id: p for p in data.patches}
    assert {p.patch_id for p in pairs} == set(written)
    for pair in pairs:
        record = written[pair.patch_id]
        assert (pair.image, pair.mask) == (record.image, record.mask)
        assert (pair.domain, pair.zone) == (record.domain, record.zone)
    assert counts == {d: sum(1 for p in data.patches if p.domain == d)
                      for d in {p.domain for p in data.patches}}


@pytest.mark.parametrize("layout", ["github", "by_domain"])
def test_official_splits_by_default(layout, request):
    data = request.getfixturevalue(layout)
    td = ds.prepare_training_data(data.root)
    assert {p.patch_id for p in td.train} == {p.patch_id for p in data.split_patches("train")}
    assert {p.patch_id for p in td.val} == {p.patch_id for p in data.split_patches("val")}
    assert all(p.domain in nom.DOMAINS_TRAIN for p in td.train)
    assert all(p.domain in nom.DOMAINS_VAL for p in td.val)
    assert td.tile_size == SIZE
    assert "train: " in td.describe() and "D004_2021" in td.describe()


def test_custom_domain_lists_match_with_or_without_year(github):
    train, val = nom.DOMAINS_TRAIN[0], nom.DOMAINS_TRAIN[1]
    td = ds.prepare_training_data(github.root, train_domains=[train[:4]],
                                  val_domains=[val.lower()])
    assert {p.domain for p in td.train} == {train}
    assert {p.domain for p in td.val} == {val}
    assert ds.domain_matches("D006_2020", "D006") and not ds.domain_matches("D006_2020",
                                                                            "D006_2019")


def test_domain_lists_refuse_overlap_and_bad_names(github):
    with pytest.raises(ds.DatasetError, match="both the train and the val"):
        ds.prepare_training_data(github.root, train_domains=["D006"], val_domains=["D006_2020"])
    with pytest.raises(ds.DatasetError, match="'?6_2020'? is not a FLAIR domain|6_2020 is not"):
        ds.prepare_training_data(github.root, train_domains=["6_2020"])


def test_pairs_csv_with_split_column_and_relative_paths(github, tmp_path):
    train = github.split_patches("train")[:3]
    val = github.split_patches("val")[:2]
    rows = ["image,mask,split"]
    rows += [f"{p.image},{p.mask},train" for p in train]
    csv_path = github.root / "pairs.csv"
    rows += [f"{p.image.relative_to(github.root)},{p.mask.relative_to(github.root)},val"
             for p in val]
    csv_path.write_text("\n".join(rows) + "\n")
    try:
        td = ds.prepare_training_data(pairs_csv=csv_path)
    finally:
        csv_path.unlink()
    assert [p.image for p in td.train] == [p.image for p in train]
    assert [p.image for p in td.val] == [p.image for p in val]


def test_pairs_csv_without_split_uses_the_domains_and_names_missing_files(github, tmp_path):
    lines = [f"{p.image},{p.mask}" for p in github.patches]
    path = tmp_path / "pairs.csv"
    path.write_text("\n".join(lines))
    td = ds.prepare_training_data(pairs_csv=path)
    assert len(td.train) == len(github.split_patches("train"))
    assert len(td.val) == len(github.split_patches("val"))
    path.write_text("\n".join(lines + ["nowhere/IMG_999999.tif,nowhere/MSK_999999.tif"]))
    with pytest.raises(ds.DatasetError, match=r"2 listed file\(s\) do not exist.*IMG_999999"):
        ds.prepare_training_data(pairs_csv=path)


# --------------------------------------------------------------------------- bad inputs


def test_empty_or_missing_folder_is_refused(tmp_path):
    with pytest.raises(ds.DatasetError, match="no IMG_<id>.tif file under"):
        ds.prepare_training_data(tmp_path)
    with pytest.raises(ds.DatasetError, match="does not exist"):
        ds.prepare_training_data(tmp_path / "missing")


def test_images_without_masks_are_counted_and_named(github, copy_of):
    root = copy_of(github)
    gone = [root / p.mask.relative_to(github.root) for p in github.split_patches("train")[:2]]
    for path in gone:
        path.unlink()
    with pytest.raises(ds.DatasetError) as err:
        ds.prepare_training_data(root)
    message = str(err.value)
    assert "2 image(s) have no annotation" in message
    assert gone[0].name.replace("MSK_", "IMG_") in message


def test_unlabelled_domains_outside_the_splits_are_no_error(github, copy_of):
    root = copy_of(github)
    test_masks = [p.mask for p in github.split_patches("test")]
    for mask in test_masks:
        (root / mask.relative_to(github.root)).unlink()
    td = ds.prepare_training_data(root)
    assert len(td.train) == len(github.split_patches("train"))


def test_mask_values_outside_1_to_19_name_the_file(github, copy_of):
    root = copy_of(github)
    mask = root / github.split_patches("val")[1].mask.relative_to(github.root)
    with rasterio.open(mask) as src:
        values = src.read(1)
    values[0, :3] = 20
    values[1, 0] = 23
    values[2, 0] = 0  # not annotated (sparse labels): allowed, not reported
    _rewrite(mask, values)
    with pytest.raises(ds.DatasetError) as err:
        ds.prepare_training_data(root)
    assert str(mask) in str(err.value) and "20, 23" in str(err.value)
    assert "1..19" in str(err.value)


def test_image_mask_size_mismatch_names_the_file(github, copy_of):
    root = copy_of(github)
    mask = root / github.split_patches("train")[2].mask.relative_to(github.root)
    _rewrite(mask, np.ones((SIZE // 2, SIZE), np.uint8))
    with pytest.raises(ds.DatasetError, match=f"its annotation {mask} is {SIZE}x{SIZE // 2}"):
        ds.prepare_training_data(root)


def test_too_few_bands_are_refused_with_the_band_set_that_fits(github, copy_of):
    root = copy_of(github)
    image = root / github.split_patches("train")[0].image.relative_to(github.root)
    with rasterio.open(image) as src:
        rgb = src.read([1, 2, 3])
    _rewrite(image, rgb)
    with pytest.raises(ds.DatasetError) as err:
        ds.prepare_training_data(root, bands="rgbie")
    assert f"{image} has 3 band(s) but the model reads 5" in str(err.value)
    assert "--bands rgb" in str(err.value)
    assert ds.prepare_training_data(root, bands="rgb").tile_size == SIZE


def test_split_without_patches_says_what_was_looked_for_and_what_exists(github):
    with pytest.raises(ds.DatasetError) as err:
        ds.prepare_training_data(github.root, val_domains=["D099_2021"])
    message = str(err.value)
    assert "the val split has no patches" in message and "D099_2021" in message
    for domain in github.domains["train"]:
        assert domain in message
    with pytest.raises(ds.DatasetError, match="looked for train domains D091;"):
        ds.prepare_training_data(github.root, train_domains=["D091"])


def test_missing_official_val_domains_are_listed(github, copy_of):
    root = copy_of(github)
    for folder in list(root.rglob("D004_2021")):
        shutil.rmtree(folder)
    with pytest.raises(ds.DatasetError, match="looked for FLAIR's official val domains "
                                              "D004_2021, D014_2020"):
        ds.prepare_training_data(root)


def test_a_bad_patch_beyond_the_checked_sample_stops_the_read_with_its_name(github, copy_of):
    root = copy_of(github)
    td = ds.prepare_training_data(root, check_limit=1, seed=0)
    checked_first = td.train[0]
    victim = next(p for p in td.train if p != checked_first)
    with rasterio.open(victim.mask) as src:
        values = src.read(1)
    values[5, 5] = 42
    _rewrite(victim.mask, values)
    dataset = ds.FlairPatchDataset(td.train, 5, ds.training_scheme("15cl"), td.tile_size)
    with pytest.raises(ds.DatasetError, match=f"{victim.mask}.*42"):
        dataset[td.train.index(victim)]


def test_duplicate_patch_ids_are_refused(github, copy_of):
    root = copy_of(github)
    image = next(root.rglob("IMG_*.tif"))
    (root / "extra").mkdir()
    shutil.copy(image, root / "extra" / image.name)
    with pytest.raises(ds.DatasetError, match=f"{image.stem} is found 2 times"):
        ds.discover_pairs(root)


# --------------------------------------------------------------------------- schemes


def test_fifteen_classes_are_flair1_mains_nineteen_logits_with_four_inactive():
    s = ds.training_scheme("15cl")
    assert s.num_logits == 19
    assert s.active_indices == tuple(c - 1 for c in nom.CLASS_SETS["15cl"])
    assert [s.logit_codes[c - 1] for c in (15, 16, 17, 19)] == [0, 0, 0, 0]
    assert s.class_weights[14] == 0 and s.class_weights[17] == 1  # clear cut / greenhouse
    assert s.lookup()[[1, 15, 19]].tolist() == [0, 14, 18]
    assert ds.training_scheme("19cl").ignored_indices == ()
    assert ds.training_scheme("12cl").active_indices == tuple(range(12))


def test_baseline13_groups_codes_above_13_into_an_inactive_other():
    s = ds.training_scheme("baseline13")
    assert s.num_logits == 13
    assert s.logit_codes == tuple(range(1, 13)) + (0,)
    assert s.lookup()[[1, 12, 13, 14, 19]].tolist() == [0, 11, 12, 12, 12]
    assert s.class_weights[12] == 0 and s.metric_scheme == "baseline13"
    with pytest.raises(ds.DatasetError, match="unknown class scheme"):
        ds.training_scheme("7cl")


def test_band_sets_carry_flair1_normalisation():
    spec = ds.band_spec("rgbi")
    assert spec.names == nom.BAND_SETS["rgbi"]
    assert spec.means == nom.FLAIR1_MEANS[:4] and spec.stds == nom.FLAIR1_STDS[:4]


# --------------------------------------------------------------------------- serving


def test_items_are_uint8_bands_and_logit_index_targets(github):
    td = ds.prepare_training_data(github.root, bands="rgbi")
    scheme = ds.training_scheme("baseline13")
    dataset = ds.FlairPatchDataset(td.train, 4, scheme, td.tile_size)
    image, target, meta = dataset[0]
    with rasterio.open(td.train[0].image) as src:
        raw = src.read([1, 2, 3, 4])
    with rasterio.open(td.train[0].mask) as src:
        codes = src.read(1)
    assert image.dtype == torch.uint8 and np.array_equal(image.numpy(), raw)
    assert np.array_equal(target.numpy(), np.minimum(codes, 13) - 1)
    assert meta.numel() == 0


def _transforms(array: np.ndarray):
    """The 8 flip/rot90 combinations of a (..., H, W) array."""
    out = []
    for k in range(4):
        r = np.rot90(array, k, axes=(-2, -1))
        out += [r, r[..., ::-1]]
    return out


def test_augmentation_moves_image_and_target_together_and_varies(github):
    td = ds.prepare_training_data(github.root)
    plain = ds.FlairPatchDataset(td.train, 5, ds.training_scheme("19cl"), td.tile_size)
    augmented = ds.FlairPatchDataset(td.train, 5, ds.training_scheme("19cl"), td.tile_size,
                                     augment=True)
    image, target, _ = plain[0]
    torch.manual_seed(0)
    seen = set()
    for _ in range(24):
        a_image, a_target, _ = augmented[0]
        matches = [i for i, (ti, tt) in enumerate(zip(_transforms(image.numpy()),
                                                      _transforms(target.numpy())))
                   if np.array_equal(ti, a_image.numpy()) and np.array_equal(tt, a_target.numpy())]
        assert matches, "image and target must get the same flips/rotation"
        seen.add(a_image.numpy().tobytes())
    assert len(seen) >= 4, "flips and rot90 must actually be drawn"


def test_metadata_json_is_found_by_name_and_encoded(by_domain):
    td = ds.prepare_training_data(by_domain.root, metadata=True)
    assert td.metadata_json.name in ds.METADATA_JSON_NAMES
    records = json.loads(td.metadata_json.read_text())
    pair = td.train[0]
    assert td.metadata[pair.name] == encode_aerial_metadata(records[pair.name])
    dataset = ds.FlairPatchDataset(td.train, 5, ds.training_scheme("15cl"), td.tile_size,
                                   metadata=td.metadata)
    assert dataset[0][2].shape == (ds.METADATA_DIM,)


def test_metadata_without_a_record_for_a_patch_is_refused(by_domain, tmp_path):
    records = json.loads(next(by_domain.root.rglob("*metadata*.json")).read_text())
    first = sorted(records)[0]
    del records[first]
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(records))
    with pytest.raises(ds.DatasetError, match=f"no record for 1 patch.*{first}"):
        ds.prepare_training_data(by_domain.root, metadata=True, metadata_json=path)


def test_thread_loader_serves_every_patch_once_per_epoch_in_a_new_order(github):
    td = ds.prepare_training_data(github.root)
    dataset = ds.FlairPatchDataset(td.train, 5, ds.training_scheme("15cl"), td.tile_size)
    loader = ds.ThreadedBatchLoader(dataset, batch_size=4, shuffle=True, threads=3,
                                    prefetch=2, seed=1)
    reference = {dataset[i][0].numpy().tobytes(): i for i in range(len(dataset))}
    orders = []
    for _ in range(2):
        batches = list(loader)
        assert len(batches) == len(loader) == -(-len(dataset) // 4)
        order = [reference[img.numpy().tobytes()] for b in batches for img in b[0]]
        assert sorted(order) == list(range(len(dataset)))
        orders.append(order)
    assert orders[0] != orders[1]
    sequential = ds.ThreadedBatchLoader(dataset, batch_size=5, shuffle=False, threads=2)
    order = [reference[img.numpy().tobytes()] for b in sequential for img in b[0]]
    assert order == list(range(len(dataset)))


def test_loader_kind_never_uses_processes_inside_qgis():
    assert ds.loader_kind(in_qgis=True, num_workers=8) == "threads"
    assert ds.loader_kind(in_qgis=False, num_workers=4) == "processes"
    assert ds.default_workers(devices_per_node=64) == 0
