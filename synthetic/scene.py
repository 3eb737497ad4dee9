"""A procedural FLAIR-like landscape: what the synthetic aerial and Sentinel-2 data show.

Tests, the demo and the benchmarks need data that *look* like FLAIR (5 bands R, G, B,
NIR, nDSM at 0.2 m, masks with FLAIR codes 1..19) and that a small CNN can actually learn,
without shipping any real imagery. So every class gets its own signature:

* a spectral mean (R, G, B, NIR) and a per-object colour jitter,
* a texture: vineyard rows, plowed furrows, tree crowns, two-sided roofs, greenhouse bays,
* an elevation (nDSM, 1 DN = 0.2 m): buildings and trees stand high, roads and water at 0,

plus pixel noise. A scene is built from *instances* (parcels, roads, houses...), each with
a class and a few parameters; the final image is composed once from per-instance lookup
tables, so everything is vectorised numpy (a 512×512 scene takes a few tens of ms).

The same class list also gives each class a 10-band Sentinel-2 spectrum with a seasonal
cycle (:func:`sentinel_series`), so the temporal data are informative too.

numpy only: no torch, no rasterio, no qgis.
"""

from __future__ import annotations

import math
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..flair_plugin.nomenclature import CODES, PIXEL_SIZE_M

RngLike = Union[int, Sequence[int], np.random.Generator]

SCENE_KINDS: Tuple[str, ...] = ("urban", "agricultural", "natural")
"""Landscape types. They set which parcel classes and objects a scene draws."""

_N = max(CODES) + 1  # lookup tables are indexed by FLAIR code (index 0 unused)
_PX_PER_M = 1.0 / PIXEL_SIZE_M

# --------------------------------------------------------------------------- signatures
# Per class: mean (R, G, B, NIR, elevation DN), pixel-noise amplitude per band, jitter of
# one object's colour (std per band). Means are kept apart in at least one band so the
# classes stay separable; jitter and noise keep them from being trivially so.
_MEAN: Dict[int, Tuple[float, ...]] = {
    1: (150, 108, 98, 112, 42),    # building: tiled / grey roofs, 8 m
    2: (108, 118, 92, 148, 1),     # pervious surface: gardens, lawns, gravel
    3: (92, 94, 98, 80, 0),        # impervious surface: asphalt
    4: (172, 150, 118, 148, 0),    # bare soil
    5: (38, 58, 70, 18, 0),        # water
    6: (42, 62, 50, 105, 85),      # coniferous, 17 m
    7: (68, 104, 62, 182, 70),     # deciduous, 14 m
    8: (104, 110, 72, 132, 10),    # brushwood, 2 m
    9: (128, 122, 94, 122, 4),     # vineyard (vine rows over soil)
    10: (122, 146, 88, 176, 1),    # herbaceous vegetation
    11: (178, 170, 104, 200, 2),   # agricultural land (crops)
    12: (138, 112, 88, 100, 0),    # plowed land
    13: (62, 172, 202, 62, 0),     # swimming pool
    14: (242, 244, 248, 228, 0),   # snow
    15: (150, 130, 104, 170, 5),   # clear cut: stumps, slash, regrowth
    16: (56, 84, 58, 148, 78),     # mixed forest
    17: (96, 120, 70, 160, 16),    # ligneous (orchards)
    18: (204, 208, 212, 190, 18),  # greenhouse, 3.6 m
    19: (40, 48, 84, 40, 6),       # other (e.g. solar panels)
}
_NOISE: Dict[int, Tuple[float, ...]] = {
    1: (5, 5, 5, 5, 1.5), 2: (9, 9, 7, 12, 0.8), 3: (5, 5, 5, 4, 0.5), 4: (7, 6, 5, 6, 0.5),
    5: (2, 2, 2, 2, 0.3), 6: (6, 6, 5, 10, 3), 7: (8, 9, 7, 14, 3), 8: (10, 10, 8, 14, 2),
    9: (6, 6, 5, 8, 1), 10: (7, 8, 6, 10, 0.8), 11: (5, 5, 4, 7, 0.8), 12: (6, 5, 4, 5, 0.5),
    13: (3, 3, 3, 3, 0.3), 14: (3, 3, 2, 3, 0.3), 15: (18, 16, 14, 20, 3),
    16: (8, 9, 7, 14, 3), 17: (7, 8, 6, 10, 2), 18: (4, 4, 4, 4, 1), 19: (4, 4, 4, 4, 1),
}
_JITTER: Dict[int, Tuple[float, ...]] = {
    1: (14, 10, 8, 10, 10), 2: (5, 5, 4, 8, 0), 3: (4, 4, 4, 4, 0), 4: (6, 5, 5, 6, 0),
    5: (3, 4, 4, 2, 0), 6: (3, 4, 3, 6, 10), 7: (5, 6, 5, 8, 10), 8: (5, 5, 4, 8, 2),
    9: (4, 4, 3, 5, 0), 10: (5, 5, 4, 6, 0), 11: (5, 6, 4, 8, 0), 12: (5, 4, 4, 4, 0),
    13: (4, 5, 5, 3, 0), 14: (1, 1, 1, 2, 0), 15: (5, 5, 4, 6, 1), 16: (4, 5, 4, 6, 8),
    17: (4, 5, 4, 6, 2), 18: (4, 4, 4, 4, 2), 19: (4, 4, 6, 4, 2),
}
# Texture amplitudes (R, G, B, NIR, elevation) per texture field; classes not listed: 0.
_STRIPES: Dict[int, Tuple[float, ...]] = {
    9: (-26, -10, -22, 38, 4),     # vine rows (green, tall) against soil between rows
    12: (16, 14, 12, 12, 0),       # furrow crests lit, troughs shaded
    11: (4, 6, 2, 8, 0),           # faint tramlines
    17: (-10, -6, -8, 18, 6),      # orchard rows
    18: (10, 10, 10, 8, 3),        # greenhouse bays
}
_CROWN_SMALL: Dict[int, Tuple[float, ...]] = {
    6: (10, 14, 10, 30, 25), 8: (8, 8, 6, 16, 5), 16: (8, 10, 8, 18, 12), 17: (6, 8, 6, 14, 8),
}
_CROWN_LARGE: Dict[int, Tuple[float, ...]] = {
    7: (14, 18, 12, 34, 20), 16: (8, 10, 8, 18, 12), 15: (10, 12, 8, 16, 2),
}
_ROOF_SIDE: Dict[int, Tuple[float, ...]] = {1: (14, 12, 11, 12, 0)}  # sunlit / shaded side
_RIDGE: Dict[int, Tuple[float, ...]] = {1: (0, 0, 0, 0, 14)}  # ridge 2.8 m above eaves

# Stripe period in pixels for the classes that have stripes (others: any, amplitude 0).
_PERIOD_PX: Dict[int, float] = {9: 11.0, 12: 4.0, 11: 60.0, 17: 28.0, 18: 22.0}

# Parcel classes by landscape type (relative weights).
_PARCEL_WEIGHTS: Dict[str, Dict[int, float]] = {
    "urban": {10: 3, 2: 3, 7: 2, 3: 1.0, 4: 0.7, 8: 0.8, 11: 0.5},
    "agricultural": {11: 4, 12: 3, 10: 2, 9: 1.5, 4: 0.8, 7: 1, 8: 0.6, 17: 0.5, 2: 0.3},
    "natural": {6: 3, 7: 3, 16: 1.2, 8: 2, 10: 1.5, 15: 0.8, 5: 0.4, 4: 0.4, 14: 0.15},
}
# Objects per landscape type: houses per hectare, P(at least one road), extra roads,
# P(river), P(pond), P(greenhouse group), P(other object).
_OBJECTS: Dict[str, Dict[str, float]] = {
    "urban": dict(houses=10.0, road=0.95, extra_road=0.5, river=0.1, pond=0.05,
                  greenhouses=0.05, other=0.35),
    "agricultural": dict(houses=1.0, road=0.5, extra_road=0.1, river=0.2, pond=0.1,
                         greenhouses=0.3, other=0.1),
    "natural": dict(houses=0.3, road=0.25, extra_road=0.0, river=0.3, pond=0.2,
                    greenhouses=0.0, other=0.05),
}


def _lut(table: Mapping[int, Sequence[float]]) -> np.ndarray:
    """A (5, 20) float32 table indexed [band, code]; codes absent from ``table`` get 0."""
    out = np.zeros((5, _N), np.float32)
    for code, values in table.items():
        out[:, code] = values
    return out


_MEAN_LUT, _NOISE_LUT, _JITTER_LUT = _lut(_MEAN), _lut(_NOISE), _lut(_JITTER)
_TEXTURE_LUTS = {name: _lut(t) for name, t in (
    ("stripes", _STRIPES), ("crown_small", _CROWN_SMALL), ("crown_large", _CROWN_LARGE),
    ("roof_side", _ROOF_SIDE), ("ridge", _RIDGE))}


def class_signature(code: int) -> Tuple[float, ...]:
    """The mean (R, G, B, NIR, elevation DN) a class is drawn around, before textures."""
    return tuple(float(v) for v in _MEAN_LUT[:, code])


def parcel_class_weights(kind: str) -> Dict[int, float]:
    """Relative frequencies of parcel classes in a landscape type (used for S2 context)."""
    return dict(_PARCEL_WEIGHTS[_check_kind(kind)])


def make_rng(seed: RngLike, *keys: int) -> np.random.Generator:
    """A generator derived from a seed and integer keys: the same inputs, the same stream.

    Independent streams for each patch, block or zone keep the output deterministic
    whatever order or subset of items is rendered.
    """
    if isinstance(seed, np.random.Generator):
        if keys:
            raise ValueError("keys can only derive a stream from an integer seed")
        return seed
    base = [int(s) for s in (seed if isinstance(seed, (list, tuple)) else [seed])]
    if any(s < 0 for s in base + [int(k) for k in keys]):
        raise ValueError(f"seeds must be non-negative integers, got {seed!r} {keys!r}")
    return np.random.default_rng(base + [int(k) for k in keys])


def _check_kind(kind: str) -> str:
    if kind not in SCENE_KINDS:
        raise ValueError(f"unknown scene kind {kind!r}; choose one of {', '.join(SCENE_KINDS)}")
    return kind


# --------------------------------------------------------------------------- noise


def smooth_noise(rng: np.random.Generator, height: int, width: int,
                 cell: float) -> np.ndarray:
    """Value noise (float32, roughly unit variance at lattice points) with blobs of ~cell px.

    Separable interpolation of a coarse random lattice: two passes over the output, cheap
    enough to use for tree crowns, boundary warps and clouds.
    """
    gh, gw = int(height / cell) + 3, int(width / cell) + 3
    grid = rng.standard_normal((gh, gw), dtype=np.float32)
    off_y, off_x = rng.random(2) * cell  # random phase: lattice lines differ per call

    def axis(n: int, off: float) -> Tuple[np.ndarray, np.ndarray]:
        pos = (np.arange(n, dtype=np.float32) + off) / cell
        i0 = pos.astype(np.int64)
        f = pos - i0
        return i0, (f * f * (3 - 2 * f)).astype(np.float32)  # smoothstep: round blobs

    iy, fy = axis(height, off_y)
    ix, fx = axis(width, off_x)
    rows = grid[iy] * (1 - fy)[:, None] + grid[iy + 1] * fy[:, None]
    return rows[:, ix] * (1 - fx) + rows[:, ix + 1] * fx


# --------------------------------------------------------------------------- scene


class _Scene:
    """Instances under construction: an id map plus per-instance parameters."""

    def __init__(self, height: int, width: int, rng: np.random.Generator):
        self.h, self.w, self.rng = height, width, rng
        self.inst = np.zeros((height, width), np.int32)
        self.roof_side = np.zeros((height, width), np.float32)
        self.ridge = np.zeros((height, width), np.float32)
        self.cls: List[int] = []
        self.theta: List[float] = []
        self.period: List[float] = []

    def new(self, code: int, theta: Optional[float] = None) -> int:
        self.cls.append(code)
        self.theta.append(self.rng.uniform(0, math.pi) if theta is None else theta)
        self.period.append(_PERIOD_PX.get(code, 10.0) * self.rng.uniform(0.85, 1.15))
        return len(self.cls) - 1

    def classes_at(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(self.cls, np.uint8)[ids]

    def rect(self, code: int, cx: float, cy: float, half_len: float, half_wid: float,
             theta: float, protect: Sequence[int] = (), require_free: Sequence[int] = (),
             within: Optional[int] = None, ellipse: bool = False) -> Optional[int]:
        """Draw a rotated rectangle (or ellipse) as a new instance; None if nothing drawn.

        ``half_len`` runs along ``theta`` (direction (cos, sin) in x, y), ``half_wid``
        across it. ``require_free``: refuse the whole rectangle if it would cover any of
        these classes (a garden must not sit on a road). ``protect``: keep those pixels untouched.
        ``within``: only paint over that instance (a tree inside its own garden).
        """
        r = math.hypot(half_len, half_wid)
        y0, y1 = max(0, int(cy - r)), min(self.h, int(cy + r) + 2)
        x0, x1 = max(0, int(cx - r)), min(self.w, int(cx + r) + 2)
        if y0 >= y1 or x0 >= x1:
            return None
        yy = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
        xx = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5 - cx
        c, s = math.cos(theta), math.sin(theta)
        u, v = xx * c + yy * s, -xx * s + yy * c
        if ellipse:
            inside = (u / half_len) ** 2 + (v / half_wid) ** 2 <= 1
        else:
            inside = (np.abs(u) <= half_len) & (np.abs(v) <= half_wid)
        window = self.inst[y0:y1, x0:x1]
        under = self.classes_at(window)
        if require_free and np.isin(under[inside], require_free).any():
            return None
        if protect:
            inside &= ~np.isin(under, protect)
        if within is not None:
            inside &= window == within
        if not inside.any():
            return None
        ident = self.new(code, theta)
        window[inside] = ident
        if code == 1:  # two roof planes meeting at a ridge along the long axis
            side = np.where(v >= 0, 1.0, -1.0).astype(np.float32)
            self.roof_side[y0:y1, x0:x1][inside] = side[inside]
            self.ridge[y0:y1, x0:x1][inside] = (1 - np.abs(v) / half_wid)[inside]
        return ident

    def disc(self, code: int, cx: float, cy: float, radius: float,
             within: Optional[int] = None) -> None:
        self.rect(code, cx, cy, radius, radius, 0.0, within=within, ellipse=True)


def _grid(h: int, w: int) -> Tuple[np.ndarray, np.ndarray]:
    return (np.arange(h, dtype=np.float32)[:, None] + 0.5,
            np.arange(w, dtype=np.float32)[None, :] + 0.5)


def _parcels(sc: _Scene, kind: str, parcel_size_m: float) -> None:
    """Voronoi parcels with slightly warped edges, each a class drawn for the landscape."""
    h, w, rng = sc.h, sc.w, sc.rng
    area_m2 = h * w * PIXEL_SIZE_M ** 2
    n = max(3, int(round(area_m2 / parcel_size_m ** 2)))
    margin = 0.1 * max(h, w)
    sy = rng.uniform(-margin, h + margin, n).astype(np.float32)
    sx = rng.uniform(-margin, w + margin, n).astype(np.float32)
    weights = _PARCEL_WEIGHTS[kind]
    codes = np.array(list(weights), np.int64)
    p = np.array(list(weights.values()), np.float64)
    drawn = rng.choice(codes, size=n, p=p / p.sum())
    ids = [sc.new(int(c)) for c in drawn]
    yy, xx = _grid(h, w)
    warp = 3.0 * _PX_PER_M  # 3 m of boundary wobble
    cell = 12.0 * _PX_PER_M
    wy = yy + warp * smooth_noise(rng, h, w, cell)
    wx = xx + warp * smooth_noise(rng, h, w, cell)
    # Nearest seed by one matrix product: |q - s|² = |q|² - 2 q·s + |s|², and |q|² is the
    # same for every seed, so argmin over [-2 sy, -2 sx, |s|²] · [qy, qx, 1] is enough.
    seeds = np.stack([-2 * sy, -2 * sx, sy * sy + sx * sx], axis=1)  # n × 3
    points = np.stack([wy.ravel(), wx.ravel(), np.ones(h * w, np.float32)], axis=1)
    nearest = np.argmin(points @ seeds.T, axis=1).reshape(h, w)  # HW × n: rows contiguous
    sc.inst[:] = np.asarray(ids, np.int32)[nearest]


def _band(sc: _Scene, code: int, half_width_px: float, meander_px: float = 0.0) -> \
        Tuple[float, float, float]:
    """A straight (road) or meandering (river) band across the scene; returns its line."""
    h, w, rng = sc.h, sc.w, sc.rng
    py, px = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
    phi = rng.uniform(0, math.pi)
    yy, xx = _grid(h, w)
    ny, nx = math.cos(phi), -math.sin(phi)  # normal of a line with direction (sin, cos)
    d = (yy - py) * ny + (xx - px) * nx
    if meander_px:
        t = (yy - py) * math.sin(phi) + (xx - px) * math.cos(phi)
        wavelength = rng.uniform(60, 120) * _PX_PER_M
        d = d - meander_px * np.sin(t * (2 * math.pi / wavelength) + rng.uniform(0, 6.3))
    on = np.abs(d) <= half_width_px
    if on.any():
        sc.inst[on] = sc.new(code, theta=phi)
    return px, py, phi


def _houses(sc: _Scene, count: int, roads: List[Tuple[float, float, float, float]]) -> None:
    """Houses in gardens (pervious), beside the roads when there are any, some with pools."""
    rng, m = sc.rng, _PX_PER_M
    blocked = (1, 3, 5, 13, 18)  # gardens may overlap each other, never a house or road
    for _ in range(count):
        for _attempt in range(4):
            g_len, g_dep = rng.uniform(6, 9) * m, rng.uniform(7, 11) * m
            if roads:
                px, py, phi, half = roads[rng.integers(len(roads))]
                t = rng.uniform(-1, 1) * math.hypot(sc.h, sc.w) / 2
                side = rng.choice((-1.0, 1.0))
                dist = half + g_dep + 0.5 * m
                theta = phi - math.pi / 2  # long axis along the road
                ux, uy = math.cos(phi), math.sin(phi)  # road direction (x, y)
                gx = px + t * ux + side * dist * (-uy)
                gy = py + t * uy + side * dist * ux
                away = (-uy * side, ux * side)  # from the road into the garden
            else:
                theta = rng.uniform(0, math.pi)
                gx, gy = rng.uniform(0, sc.w), rng.uniform(0, sc.h)
                away = (-math.sin(theta), math.cos(theta))
            # The garden's depth (its width axis) points away from the road.
            across = _width_along(away)
            garden = sc.rect(2, gx, gy, g_len, g_dep, across, require_free=blocked)
            if garden is None:
                continue
            h_len = rng.uniform(4, 6) * m
            h_wid = rng.uniform(3.5, 5) * m
            front = g_dep - h_wid - rng.uniform(1.5, 3) * m  # house towards the road
            hx, hy = gx - away[0] * front, gy - away[1] * front
            sc.rect(1, hx, hy, h_len, h_wid, across, within=garden)
            back = g_dep - rng.uniform(2.5, 3.5) * m
            bx, by = gx + away[0] * back, gy + away[1] * back
            if rng.random() < 0.4:
                sc.rect(13, bx, by, rng.uniform(3.5, 5) * m, rng.uniform(1.8, 2.5) * m,
                        across, within=garden)
            elif rng.random() < 0.5:
                sc.disc(7, bx, by, rng.uniform(1.5, 3) * m, within=garden)
            break


def _width_along(vec: Tuple[float, float]) -> float:
    """The ``theta`` of a rectangle whose *width* axis points along ``vec`` (x, y)."""
    return math.atan2(-vec[0], vec[1])


def _greenhouses(sc: _Scene) -> None:
    rng, m = sc.rng, _PX_PER_M
    n = int(rng.integers(2, 6))
    theta = rng.uniform(0, math.pi)
    cx, cy = rng.uniform(0, sc.w), rng.uniform(0, sc.h)
    half_len, half_wid = rng.uniform(12, 22) * m, rng.uniform(3.5, 4.5) * m
    step = 2 * half_wid + rng.uniform(1.5, 3) * m
    nx, ny = -math.sin(theta), math.cos(theta)
    for k in range(n):
        off = (k - (n - 1) / 2) * step
        sc.rect(18, cx + off * nx, cy + off * ny, half_len, half_wid, theta,
                protect=(1, 3, 5, 13))


def _others(sc: _Scene) -> None:
    rng, m = sc.rng, _PX_PER_M
    for _ in range(int(rng.integers(1, 4))):
        sc.rect(19, rng.uniform(0, sc.w), rng.uniform(0, sc.h), rng.uniform(2, 6) * m,
                rng.uniform(1, 3) * m, rng.uniform(0, math.pi), protect=(1, 3, 5, 13))


def _build(sc: _Scene, kind: str, parcel_size_m: float) -> None:
    rng, m = sc.rng, _PX_PER_M
    obj = _OBJECTS[kind]
    hectares = sc.h * sc.w * PIXEL_SIZE_M ** 2 / 1e4
    _parcels(sc, kind, parcel_size_m)
    if rng.random() < obj["river"]:
        _band(sc, 5, rng.uniform(2, 7) * m, meander_px=rng.uniform(3, 10) * m)
    if rng.random() < obj["pond"]:
        r = rng.uniform(4, 12) * m
        sc.rect(5, rng.uniform(0, sc.w), rng.uniform(0, sc.h), r, r * rng.uniform(0.5, 1),
                rng.uniform(0, math.pi), ellipse=True)
    roads: List[Tuple[float, float, float, float]] = []
    n_roads = int(rng.random() < obj["road"]) + int(rng.random() < obj["extra_road"])
    for _ in range(n_roads):
        half = rng.uniform(2.5, 4.5) * m
        roads.append(_band(sc, 3, half) + (half,))
    if rng.random() < obj["greenhouses"]:
        _greenhouses(sc)
    _houses(sc, int(rng.poisson(obj["houses"] * hectares)), roads)
    if rng.random() < obj["other"]:
        _others(sc)


_TEXTURED = {name: np.flatnonzero(np.abs(lut).sum(axis=0)) for name, lut in
             _TEXTURE_LUTS.items()}  # codes that use each texture field


def _texture_fields(sc: _Scene, present: np.ndarray) -> Dict[str, np.ndarray]:
    """The texture fields some class of the scene uses (the others cost nothing)."""
    rng, h, w = sc.rng, sc.h, sc.w
    wanted = {name for name, codes in _TEXTURED.items() if np.isin(codes, present).any()}
    fields: Dict[str, np.ndarray] = {}
    if "stripes" in wanted:
        theta = np.asarray(sc.theta, np.float32)
        freq = (2 * math.pi / np.asarray(sc.period, np.float32)).astype(np.float32)
        yy, xx = _grid(h, w)
        along = xx * (np.cos(theta) * freq)[sc.inst] + yy * (np.sin(theta) * freq)[sc.inst]
        fields["stripes"] = np.sin(along, out=along)
    for name, crown_m in (("crown_small", 2.2), ("crown_large", 4.5)):
        if name in wanted:  # tanh: crowns with sharp edges and dark gaps between them
            fields[name] = np.tanh(2.0 * smooth_noise(rng, h, w, crown_m * _PX_PER_M))
    if "roof_side" in wanted:
        fields["roof_side"], fields["ridge"] = sc.roof_side, sc.ridge
    return fields


def _compose(sc: _Scene, radiometry: Optional[Tuple[Sequence[float], Sequence[float]]]
             ) -> Tuple[np.ndarray, np.ndarray]:
    """Image and mask from the instance map, lookup tables and a few texture fields."""
    rng, h, w = sc.rng, sc.h, sc.w
    inst_cls = np.asarray(sc.cls, np.uint8)
    mask = inst_cls[sc.inst]
    present = np.unique(inst_cls)
    jitter = rng.standard_normal((5, len(sc.cls)), dtype=np.float32) * _JITTER_LUT[:, inst_cls]
    inst_base = _MEAN_LUT[:, inst_cls] + jitter  # per-object colour: one gather per band
    fields = _texture_fields(sc, present)
    noise = rng.standard_normal((h, w), dtype=np.float32)
    noise_elev = noise[::-1, ::-1]  # a flipped view: uncorrelated enough, and free
    image = np.empty((5, h, w), np.uint8)
    for b in range(5):
        band = inst_base[b][sc.inst]
        band += _NOISE_LUT[b][mask] * (noise_elev if b == 4 else noise)
        for name, field in fields.items():
            amp = _TEXTURE_LUTS[name][b]
            if amp[present].any():
                band += amp[mask] * field
        if radiometry is not None and b < 4:
            gain, offset = radiometry
            band *= float(gain[b])
            band += float(offset[b])
        np.clip(band, 0, 255, out=band)
        image[b] = band  # float -> uint8 truncates; values are already within 0..255
    return image, mask


def render_scene(height: int, width: int, rng_or_seed: RngLike = 0, *,
                 kind: Optional[str] = None, parcel_size_m: float = 35.0,
                 radiometry: Optional[Tuple[Sequence[float], Sequence[float]]] = None
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Render one synthetic FLAIR-like scene.

    Args:
        height, width: size in pixels (0.2 m each), any positive size.
        rng_or_seed: an integer seed (deterministic) or a numpy Generator.
        kind: "urban", "agricultural" or "natural"; None draws one at random.
        parcel_size_m: typical side of a parcel (field, wood, lawn) in metres.
        radiometry: optional (gain[4], offset[4]) applied to R, G, B, NIR, e.g. to give
            each FLAIR domain its own acquisition look.

    Returns:
        ``(image, mask)``: uint8 ``[5, H, W]`` (R, G, B, NIR, nDSM with 1 DN = 0.2 m) and
        uint8 ``[H, W]`` holding FLAIR codes 1..19.
    """
    if int(height) < 1 or int(width) < 1:
        raise ValueError(f"scene size must be at least 1×1 pixel, got {height}×{width}")
    if not parcel_size_m > 0:
        raise ValueError(f"parcel_size_m must be positive, got {parcel_size_m}")
    if radiometry is not None and (len(radiometry) != 2 or len(radiometry[0]) < 4
                                   or len(radiometry[1]) < 4):
        raise ValueError("radiometry must be (gain, offset), each with 4 values (R, G, B, NIR)")
    rng = make_rng(rng_or_seed)
    kind = SCENE_KINDS[int(rng.integers(len(SCENE_KINDS)))] if kind is None else \
        _check_kind(kind)
    sc = _Scene(int(height), int(width), rng)
    _build(sc, kind, float(parcel_size_m))
    return _compose(sc, radiometry)


# --------------------------------------------------------------------------- Sentinel-2
# 10-band reflectance spectra (×10000; B2, B3, B4, B5, B6, B7, B8, B8A, B11, B12): each
# class mixes a "dormant" spectrum with a green-vegetation one; greenness follows a
# seasonal bell (min, max, peak day of year, width in days).
_BROADLEAF = (330, 640, 340, 1250, 2950, 3550, 3750, 3850, 2000, 1000)
_CONIFER = (220, 420, 220, 760, 1800, 2200, 2400, 2450, 1100, 550)
_SOIL = (900, 1200, 1500, 1700, 1900, 2050, 2150, 2250, 3000, 2500)
_DRY_GRASS = (700, 950, 1150, 1400, 1900, 2100, 2200, 2300, 2900, 2200)
_WET_SOIL = (600, 800, 1000, 1150, 1300, 1400, 1450, 1500, 2200, 1800)
_LITTER = (500, 700, 800, 1100, 1600, 1900, 2000, 2100, 2300, 1500)
_S2: Dict[int, Tuple[Tuple[int, ...], Tuple[int, ...], float, float, float, float]] = {
    1: ((1300, 1400, 1500, 1600, 1700, 1750, 1800, 1850, 2200, 2000), _SOIL, 0, 0, 180, 60),
    2: (_DRY_GRASS, _BROADLEAF, 0.35, 0.7, 130, 70),
    3: ((1000, 1100, 1200, 1300, 1350, 1400, 1450, 1500, 1800, 1700), _SOIL, 0, 0, 180, 60),
    4: (_SOIL, _BROADLEAF, 0, 0.05, 150, 40),
    5: ((500, 450, 300, 200, 120, 100, 80, 70, 40, 25), _SOIL, 0, 0, 180, 60),
    6: (_CONIFER, _CONIFER, 1, 1, 180, 60),
    7: (_LITTER, _BROADLEAF, 0.1, 1.0, 190, 80),
    8: (_DRY_GRASS, _BROADLEAF, 0.3, 0.8, 170, 90),
    9: (_SOIL, _BROADLEAF, 0.05, 0.6, 200, 55),
    10: (_DRY_GRASS, _BROADLEAF, 0.3, 0.9, 140, 70),
    11: (_SOIL, _BROADLEAF, 0.05, 0.95, 150, 40),
    12: (_WET_SOIL, _BROADLEAF, 0, 0.25, 120, 30),
    13: ((1400, 1300, 700, 450, 350, 300, 280, 260, 90, 50), _SOIL, 0, 0, 180, 60),
    14: ((9000, 9100, 8900, 8600, 8300, 8100, 7900, 7700, 1200, 900), _SOIL, 0, 0, 180, 60),
    15: (_SOIL, _BROADLEAF, 0.2, 0.45, 180, 80),
    16: (_LITTER, _CONIFER, 0.5, 0.95, 190, 100),
    17: (_DRY_GRASS, _BROADLEAF, 0.25, 0.75, 180, 80),
    18: ((2600, 2700, 2800, 2900, 3000, 3050, 3100, 3150, 2800, 2400), _SOIL, 0, 0, 180, 60),
    19: ((900, 1000, 1100, 1200, 1300, 1350, 1400, 1450, 1600, 1500), _SOIL, 0, 0, 180, 60),
}
_CLOUD = np.array((6500, 6400, 6300, 6200, 6100, 6000, 5900, 5900, 4500, 3500), np.float32)


def sentinel_spectra(days_of_year: Sequence[int]) -> np.ndarray:
    """Reflectance of every class on each date: float32 ``[T, 20, 10]`` (index = code)."""
    doy = np.asarray(days_of_year, np.float32)[:, None]
    out = np.zeros((len(doy), _N, 10), np.float32)
    for code, (dormant, green, gmin, gmax, peak, width) in _S2.items():
        d = (doy[:, 0] - peak + 182.5) % 365 - 182.5  # circular distance in days
        g = gmin + (gmax - gmin) * np.exp(-(d / width) ** 2)
        out[:, code] = (1 - g)[:, None] * np.asarray(dormant) + g[:, None] * np.asarray(green)
    return out


def sentinel_series(fractions: np.ndarray, days_of_year: Sequence[int],
                    rng: np.random.Generator, cloudy_share: float = 0.25
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """A Sentinel-2 time series of an area from its class fractions.

    Args:
        fractions: float ``[20, H, W]``, the share of each FLAIR code (index = code) in each
            10 m pixel; rows sum to 1.
        days_of_year: one day of year (1..366) per date.
        rng: random stream (noise, clouds, snow).
        cloudy_share: about this share of the dates get clouds.

    Returns:
        ``(data, masks)``: int16 ``[T, 10, H, W]`` reflectance (~0..10000) and uint8
        ``[T, 2, H, W]`` snow (channel 0) and cloud (channel 1) probabilities 0..100.
    """
    n_codes, h, w = fractions.shape
    if n_codes != _N:
        raise ValueError(f"fractions need {_N} planes (index = FLAIR code), got {n_codes}")
    spectra = sentinel_spectra(days_of_year)  # T, C, B
    data = np.einsum("tcb,chw->tbhw", spectra, fractions.astype(np.float32), optimize=True)
    t_count = len(days_of_year)
    data *= rng.uniform(0.95, 1.05, (t_count, 1, 1, 1)).astype(np.float32)  # atmosphere
    data += rng.normal(0, 60, data.shape).astype(np.float32)
    masks = np.zeros((t_count, 2, h, w), np.uint8)
    snow = np.clip(100 * fractions[14], 0, 100)
    for t in range(t_count):
        masks[t, 0] = snow.astype(np.uint8)
        if rng.random() < cloudy_share:
            cover = rng.uniform(-1.0, 1.5)  # from a few wisps to an overcast date
            blob = smooth_noise(rng, h, w, max(2.0, min(h, w) / 3))
            prob = 100 / (1 + np.exp(-4 * (blob + cover)))
            alpha = (prob / 100)[None]
            data[t] = data[t] * (1 - alpha) + alpha * _CLOUD[:, None, None]
            masks[t, 1] = prob.astype(np.uint8)
    np.clip(data, 0, 15000, out=data)
    return data.astype(np.int16), masks
