"""Evaluation outputs: a self-contained HTML report, JSON and a per-class CSV.

The HTML report has no external resource at all (inline CSS, plots drawn here as inline
SVG), so it opens the same in a browser, offline, and in QGIS's Processing results
viewer, with no plotting package installed.

Every writer writes a temporary file beside the target and renames it into place: a
failure never leaves half a report. An existing file is kept unless ``overwrite=True``.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import os
from typing import Dict, Iterable, List, Optional, Tuple, Union

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_open
from .metrics import ClassMetrics, Metrics
from .rasters import EvaluationResult

PathLike = Union[str, os.PathLike]

CSV_COLUMNS: Tuple[str, ...] = (
    "value", "codes", "name", "iou", "precision", "recall", "f1", "reference_pixels",
    "predicted_pixels", "true_positives", "ignored_by_flair_convention", "absent_from_both",
    "reference_ha", "predicted_ha")


# --------------------------------------------------------------------------- file writing

def _write_text(path: PathLike, text: str, overwrite: bool) -> str:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename.

    Raises:
        InputError: the folder is missing, ``path`` is a folder, or it exists and
            ``overwrite`` is False (checked before writing, with what to do).
        OutputExistsError: ``path`` appeared while it was written (``overwrite`` False).
    """
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise InputError(f"folder {folder} does not exist: create it or choose another path "
                         f"for {os.path.basename(path)}")
    if os.path.isdir(path):
        raise InputError(f"{path} is a folder: give a file name")
    if os.path.exists(path) and not overwrite:
        raise InputError(f"{path} already exists: delete it, choose another name or allow "
                         f"overwriting (overwrite=True / --overwrite)")
    with atomic_open(path, "w", overwrite=overwrite, encoding="utf-8", newline="") as f:
        f.write(text)
    return path


def write_json(result: EvaluationResult, path: PathLike, *, overwrite: bool = False) -> str:
    """The whole result (scores, matrix, pixel counts, settings) as strict JSON."""
    return _write_text(path, json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n",
                       overwrite)


def _number(x: Optional[float]) -> str:
    return "" if x is None else f"{x:.6f}"


def csv_rows(result: EvaluationResult) -> List[List[str]]:
    """One row per class of the report scheme (header first); empty cell = undefined."""
    rows = [list(CSV_COLUMNS)]
    for c in result.metrics.classes:
        rows.append([str(c.value), " ".join(map(str, c.codes)), c.name, _number(c.iou),
                     _number(c.precision), _number(c.recall), _number(c.f1),
                     str(c.reference_pixels), str(c.predicted_pixels), str(c.true_positives),
                     str(c.ignored).lower(), str(c.absent).lower(),
                     _hectares(result, c.reference_pixels),
                     _hectares(result, c.predicted_pixels)])
    return rows


def _hectares(result: EvaluationResult, pixels: int) -> str:
    return f"{result.hectares(pixels):.4f}" if result.pixel_area_m2 else ""


def ha(result: EvaluationResult, pixels: int) -> str:
    """``pixels`` as hectares for people (pixels when the pixel area is unknown)."""
    if not result.pixel_area_m2:
        return f"{pixels:,} px"
    value = result.hectares(pixels)
    return f"{value:,.2f} ha" if value >= 10 else f"{value:.4g} ha"


def write_csv(result: EvaluationResult, path: PathLike, *, overwrite: bool = False) -> str:
    """Per-class scores: value, codes, name, IoU, precision, recall, F1, pixel counts, flags."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(csv_rows(result))
    return _write_text(path, buffer.getvalue(), overwrite)


def write_html(result: EvaluationResult, path: PathLike, *, overwrite: bool = False) -> str:
    """The self-contained HTML report (see :func:`render_html`)."""
    return _write_text(path, render_html(result), overwrite)


# --------------------------------------------------------------------------- text summary

def percent(x: Optional[float], digits: int = 2) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f} %"


def summary_lines(result: EvaluationResult) -> List[str]:
    """A few lines for a log or QGIS's feedback: the totals and the worst classes."""
    m = result.metrics
    if result.headline_kind == "present":
        miou = (f"mIoU {percent(m.miou_present)} over the classes present (FLAIR's "
                f"convention, absent classes counting 0: {percent(m.miou)})")
    else:
        miou = (f"mIoU {percent(m.miou)} (FLAIR convention, {m.convention.key}; over the "
                f"classes present: {percent(m.miou_present)})")
    lines = [
        f"{miou}, scheme {m.scheme_key}, overall accuracy {percent(m.overall_accuracy)}, "
        f"kappa {'—' if m.kappa is None else f'{m.kappa:.4f}'}",
        f"{ha(result, result.counts.compared)} compared of "
        f"{ha(result, result.counts.evaluated)} ({ha(result, result.counts.not_compared)} "
        f"not compared)",
    ]
    if m.absent_classes:
        lines.append("absent from both rasters (no IoU"
                     + ("; counted 0 in FLAIR's mean" if m.convention.absent_counts_zero
                        else "; left out of the mean") + "): "
                     + ", ".join(c.name for c in m.absent_classes))
    lines.extend(result.notes)
    return lines


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px;
color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid
#ddd;padding-bottom:4px}.sub{color:#555;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:6px;
padding:10px 14px;min-width:150px}.card .v{font-size:22px;font-weight:600}
.card .k{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid
#eee;text-align:right}th{background:#f6f6f6}td.l,th.l{text-align:left}
.sw{display:inline-block;width:12px;height:12px;border:1px solid #555;margin-right:6px;
vertical-align:middle}.muted{color:#888}.note{font-size:13px;color:#444}
tr.ignored td{color:#888}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _int(n: int) -> str:
    return f"{n:,}"


def _card(value: str, label: str, title: str = "") -> str:
    return (f'<div class="card" title="{_e(title)}"><div class="v">{_e(value)}</div>'
            f'<div class="k">{_e(label)}</div></div>')


def _cards(m: Metrics, result: EvaluationResult) -> str:
    kappa = "—" if m.kappa is None else f"{m.kappa:.4f}"
    flair = _card(percent(m.miou), f"mIoU, FLAIR convention ({len(m.scored_classes)} "
                  f"classes, absent ones count 0)", m.convention.description)
    present = _card(percent(m.miou_present), "mIoU over the classes present",
                    "mean IoU of the scored classes present in either raster: for one area, "
                    "a class absent from it says nothing about the model")
    cards = [present, flair] if result.headline_kind == "present" else [flair, present]
    cards += [
        _card(percent(m.overall_accuracy), "overall accuracy (scored classes)"),
        _card(kappa, "Cohen's kappa"),
        _card(ha(result, result.counts.compared), "area compared"),
    ]
    return '<div class="cards">' + "".join(cards) + "</div>"


def _iou_label(c: ClassMetrics) -> str:
    if c.absent:
        return "absent from both"
    return percent(c.iou, 1)


def iou_bars_svg(metrics: Metrics) -> str:
    """Horizontal IoU bars in the class colours; ignored classes faded, absent ones named."""
    label_w, bar_w, row_h, value_w = 190, 430, 20, 130
    classes = metrics.classes
    height = row_h * len(classes) + 24
    width = label_w + bar_w + value_w
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-size="12" role="img" '
             f'aria-label="IoU per class">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + tick * bar_w
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 16}" '
                     f'stroke="#e3e3e3"/><text x="{x:.1f}" y="{height - 3}" '
                     f'text-anchor="middle" fill="#777">{int(tick * 100)} %</text>')
    for row, c in enumerate(classes):
        y = row * row_h + 2
        name = c.name + (" (ignored)" if c.ignored else "")
        opacity = "0.35" if c.ignored else "1"
        tip = (f"{c.name}: IoU {_iou_label(c)}, F1 {percent(c.f1, 1)}, reference "
               f"{_int(c.reference_pixels)} px, predicted {_int(c.predicted_pixels)} px"
               + ("; ignored by FLAIR's mIoU convention" if c.ignored else ""))
        parts.append(f'<g><title>{_e(tip)}</title>')
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" '
                     f'fill="{"#888" if c.ignored else "#222"}">{_e(name)}</text>')
        if c.iou is not None:
            w = max(c.iou * bar_w, 0.5)
            parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" '
                         f'height="{row_h - 6}" fill="{_e(c.colour)}" fill-opacity="{opacity}"'
                         f' stroke="#444" stroke-width="0.5"/>')
        value_x = label_w + (c.iou or 0) * bar_w + 5
        style = ' font-style="italic" fill="#888"' if c.absent else ' fill="#222"'
        parts.append(f'<text x="{value_x:.1f}" y="{y + 13}"{style}>{_e(_iou_label(c))}'
                     f'</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _heat_colour(share: float) -> str:
    # white -> dark blue, linear in the row share
    lo, hi = np.array([255, 255, 255]), np.array([8, 48, 107])
    r, g, b = (lo + (hi - lo) * min(max(share, 0.0), 1.0)).round().astype(int)
    return f"#{r:02x}{g:02x}{b:02x}"


def confusion_svg(result: EvaluationResult) -> Tuple[str, List[str]]:
    """Row-normalised heatmap of the classes present in either raster; counts on hover.

    Returns the SVG and the names of the classes left out (absent from both).
    """
    matrix = result.confusion.matrix
    entries = result.scheme.entries
    shown = [i for i in range(len(entries)) if matrix[i].sum() or matrix[:, i].sum()]
    left_out = [entries[i].name for i in range(len(entries)) if i not in shown]
    cell, label_w, top_h = 30, 190, 150
    n = len(shown)
    width, height = label_w + cell * n + 10, top_h + cell * n + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-size="11" role="img" '
             f'aria-label="confusion matrix">']
    parts.append(f'<text x="{label_w + cell * n / 2:.0f}" y="12" text-anchor="middle" '
                 f'font-weight="600">prediction →</text>')
    parts.append(f'<text x="8" y="{top_h - 6}" font-weight="600">reference ↓</text>')
    for col, j in enumerate(shown):
        x = label_w + col * cell + cell / 2
        parts.append(f'<text x="{x:.1f}" y="{top_h - 6}" transform="rotate(-55 {x:.1f} '
                     f'{top_h - 6})">{_e(entries[j].name)}</text>')
    for row, i in enumerate(shown):
        y = top_h + row * cell
        total = int(matrix[i].sum())
        parts.append(f'<rect x="{label_w - 16}" y="{y + 9}" width="11" height="11" '
                     f'fill="{_e(entries[i].colour)}" stroke="#555" stroke-width="0.5"/>')
        parts.append(f'<text x="{label_w - 20}" y="{y + 19}" text-anchor="end">'
                     f'{_e(entries[i].name)}</text>')
        for col, j in enumerate(shown):
            count = int(matrix[i, j])
            share = count / total if total else 0.0
            x = label_w + col * cell
            tip = (f"reference {entries[i].name} → predicted {entries[j].name}: "
                   f"{_int(count)} px" + (f", {ha(result, count)}" if result.pixel_area_m2
                                          else "")
                   + (f" ({100 * share:.1f} % of reference {entries[i].name})" if total
                      else " (class absent from the reference)"))
            stroke = ' stroke="#222" stroke-width="1.2"' if i == j else \
                ' stroke="#ddd" stroke-width="0.5"'
            parts.append(f'<g><title>{_e(tip)}</title><rect x="{x}" y="{y}" width="{cell}" '
                         f'height="{cell}" fill="{_heat_colour(share)}"{stroke}/>')
            if count and share >= 0.005:
                fill = "#fff" if share > 0.5 else "#222"
                parts.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" '
                             f'text-anchor="middle" fill="{fill}">{100 * share:.0f}</text>')
            parts.append("</g>")
    parts.append(f'<text x="{label_w}" y="{height - 8}" fill="#555">cells: % of the '
                 f'reference class (row); hover for pixel counts</text>')
    parts.append("</svg>")
    return "".join(parts), left_out


def _class_table(m: Metrics, result: EvaluationResult) -> str:
    head = ("<tr><th>value</th><th class='l'>class</th><th>IoU</th><th>precision</th>"
            "<th>recall</th><th>F1</th><th>annotated</th><th>predicted</th>"
            "<th class='l'>note</th></tr>")
    rows = []
    for c in m.classes:
        notes = []
        if c.ignored:
            notes.append("ignored by FLAIR's mIoU convention")
        if c.absent:
            notes.append("absent from both rasters" + (" (counts 0 in FLAIR's mIoU)"
                                                       if not c.ignored and
                                                       m.convention.absent_counts_zero
                                                       else ""))
        rows.append(
            f"<tr class='{'ignored' if c.ignored else ''}'><td>{c.value}</td>"
            f"<td class='l'><span class='sw' style='background:{_e(c.colour)}'></span>"
            f"{_e(c.name)}</td><td>{percent(c.iou)}</td><td>{percent(c.precision)}</td>"
            f"<td>{percent(c.recall)}</td><td>{percent(c.f1)}</td>"
            f"<td>{ha(result, c.reference_pixels)}</td><td>{ha(result, c.predicted_pixels)}</td>"
            f"<td class='l'>{_e('; '.join(notes))}</td></tr>")
    return "<table>" + head + "".join(rows) + "</table>"


TOP_CONFUSIONS = 10


def largest_confusions(result: EvaluationResult, top: int = TOP_CONFUSIONS
                       ) -> List[Tuple[str, str, int, float]]:
    """(predicted, annotated, pixels, share of the wrong pixels) of the largest
    confusions, the largest first."""
    m = result.confusion.matrix
    entries = result.scheme.entries
    wrong = int(m.sum() - np.trace(m))
    pairs = [(int(m[r, p]), p, r) for r, p in zip(*np.nonzero(m)) if r != p]
    pairs.sort(key=lambda x: -x[0])
    return [(entries[p].name, entries[r].name, n, n / wrong) for n, p, r in pairs[:top]]


def _confusion_table(result: EvaluationResult) -> str:
    rows = largest_confusions(result)
    if not rows:
        return "<p class='note'>No confusion: every compared pixel agrees.</p>"
    head = ("<tr><th class='l'>predicted</th><th class='l'>annotated</th><th>area</th>"
            "<th>share of the errors</th></tr>")
    body = "".join(f"<tr><td class='l'>{_e(p)}</td><td class='l'>{_e(r)}</td>"
                   f"<td>{ha(result, n)}</td><td>{percent(share, 1)}</td></tr>"
                   for p, r, n, share in rows)
    return "<table>" + head + body + "</table>"


def _kv_table(rows: Iterable[Tuple[str, object]]) -> str:
    body = "".join(f"<tr><th class='l'>{_e(k)}</th><td class='l'>{_e(v)}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


def _strays(d) -> str:
    return ", ".join(f"{v}: {_int(n)} px" for v, n in sorted(d.items())) or "none"


def _pixel_rows(result: EvaluationResult) -> List[Tuple[str, object]]:
    c, m = result.counts, result.metrics

    def both(n: int) -> str:
        return f"{ha(result, n)} ({_int(n)} px)" if result.pixel_area_m2 else _int(n)

    rows = [("evaluated", both(c.evaluated)), ("compared (in the matrix)", both(c.compared)),
            ("scored by FLAIR's convention", both(m.pixels_scored)),
            ("no data in the prediction", both(c.nodata_prediction)),
            ("no data in / outside the reference", both(c.nodata_reference)),
            ("stray values in the prediction", _strays(c.stray_prediction)),
            ("stray values in the reference", _strays(c.stray_reference)),
            ("overall accuracy, all compared pixels", percent(m.overall_accuracy_all)),
            ("mean F1 over scored classes present", percent(m.mean_f1))]
    if result.pixel_area_m2:
        rows.insert(0, ("pixel area", f"{result.pixel_area_m2:g} m²"))
    p = result.polygons
    if p is not None:
        rows += [("annotation polygons", _int(p.polygons)),
                 ("under overlapping polygons of different classes (not compared)",
                  both(p.pixels_conflict)),
                 ("under overlapping polygons of one class", both(p.pixels_overlap_same_class)),
                 ("left out by the mapping table", both(p.pixels_excluded)),
                 ("values not in the mapping table",
                  ", ".join(f"{v}: {n} polygon(s), {both(p.unmapped_pixels.get(v, 0))}"
                            for v, n in sorted(p.unmapped_polygons.items())) or "none")]
    return rows


def _settings_rows(result: EvaluationResult) -> List[Tuple[str, object]]:
    rows = []
    for key, value in result.settings.items():
        if key == "agreement_legend" or value is None:
            continue
        if key == "pair_list":
            value = "; ".join(f"{p} ↔ {r}" for p, r in value)
        rows.append((key.replace("_", " "), value))
    rows.append(("elapsed", f"{result.elapsed_s:.1f} s"))
    return rows


def _title(result: EvaluationResult) -> str:
    return (f"{_e(os.path.basename(str(result.settings.get('prediction'))))} against "
            f"{_e(os.path.basename(str(result.settings.get('reference'))))}"
            if result.pairs == 1 else f"{result.pairs} prediction/reference pairs")


def _body(result: EvaluationResult, heading: str = "h2") -> str:
    """Everything one evaluation shows, below its title; ``heading`` the sections' tag
    (h3 inside a before/after report, where each model has its own h2)."""
    m = result.metrics
    heatmap, left_out = confusion_svg(result)
    ignored = [c.name for c in m.classes if c.ignored]
    convention = (f"mIoU follows FLAIR's convention for scheme <b>{_e(m.scheme_key)}</b>: "
                  f"{_e(m.convention.description)}. Ignored classes: "
                  f"{_e(', '.join(ignored) or 'none')}. Source: {_e(m.convention.source)}.")
    absent = ""
    if m.absent_classes:
        zero = "; FLAIR counts them 0 in its mean" if m.convention.absent_counts_zero else ""
        absent = (f"<p class='note'>Absent from both rasters (no IoU{zero}"
                  f"): {_e(', '.join(c.name for c in m.absent_classes))}.</p>")
    left = (f"<p class='note muted'>Not shown (absent from both rasters): "
            f"{_e(', '.join(left_out))}.</p>" if left_out else "")
    notes = "".join(f"<li>{_e(n)}</li>" for n in result.notes)
    warning = ""
    if result.same_input:
        warning = ("<p style='border:2px solid #d7191c;padding:8px;font-weight:600'>"
                   "The prediction and the reference are the same file: these scores "
                   "compare a layer with itself.</p>")
    h = heading
    return "".join([
        warning, _cards(m, result),
        f"<p class='note'>{convention}</p>", absent,
        f"<{h}>IoU per class</{h}>", iou_bars_svg(m),
        f"<{h}>Largest confusions</{h}>", _confusion_table(result),
        f"<{h}>Confusion matrix</{h}>", heatmap, left,
        f"<{h}>Scores per class</{h}>", _class_table(m, result),
        f"<{h}>Areas</{h}>", _kv_table(_pixel_rows(result)),
        f"<{h}>Inputs and settings</{h}>", _kv_table(_settings_rows(result)),
        (f"<{h}>Notes</{h}><ul class='note'>{notes}</ul>" if notes else ""),
    ])


def render_html(result: EvaluationResult) -> str:
    """The report as one HTML string (inline CSS and SVG only)."""
    what = _title(result)
    return "".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>FLAIR land-cover evaluation: {what}</title><style>{_CSS}</style></head><body>",
        "<h1>Land-cover evaluation</h1>",
        f"<p class='sub'>{what}, scores in scheme {_e(result.scheme.title)}</p>",
        _body(result),
        "</body></html>\n",
    ])


# --------------------------------------------------------------------------- before/after

def class_gains(before: EvaluationResult, after: EvaluationResult
                ) -> List[Dict[str, object]]:
    """Per scored class present in either evaluation: IoU before, after and the gain
    (None where a side has no IoU), and the annotated pixels.

    Raises:
        InputError: the two evaluations are in different schemes (their classes differ).
    """
    if before.scheme.key != after.scheme.key:
        raise InputError(f"the evaluations before and after are in different schemes "
                         f"({before.scheme.key}, {after.scheme.key}): evaluate both in one")
    rows = []
    for b, a in zip(before.metrics.classes, after.metrics.classes):
        if b.ignored or (b.absent and a.absent):
            continue
        gain = None if a.iou is None or b.iou is None else a.iou - b.iou
        rows.append({"value": a.value, "name": a.name, "colour": a.colour,
                     "iou_before": b.iou, "iou_after": a.iou, "gain": gain,
                     "reference_pixels": a.reference_pixels})
    return rows


def _signed(x: Optional[float]) -> str:
    return "—" if x is None else f"{100 * x:+.1f} pts"


def gain_lines(before: EvaluationResult, after: EvaluationResult) -> List[str]:
    """The before/after in a few lines for a log: mIoU and each class's IoU gain."""
    mb, ma = before.metrics, after.metrics
    delta = (None if ma.miou_present is None or mb.miou_present is None
             else ma.miou_present - mb.miou_present)
    lines = [f"mIoU over the classes present: {percent(mb.miou_present)} before, "
             f"{percent(ma.miou_present)} after ({_signed(delta)})"]
    for row in class_gains(before, after):
        lines.append(f"  {row['name']}: IoU {percent(row['iou_before'], 1)} -> "
                     f"{percent(row['iou_after'], 1)} ({_signed(row['gain'])})")
    return lines


def _gain_table(before: EvaluationResult, after: EvaluationResult) -> str:
    head = ("<table><tr><th class='l'>class</th><th>IoU before</th><th>IoU after</th>"
            "<th>gain</th><th>annotated</th></tr>")
    body = []
    for row in class_gains(before, after):
        gain = row["gain"]
        colour = "" if gain is None or abs(gain) < 0.005 else (
            " style='color:#1a9641;font-weight:600'" if gain > 0 else
            " style='color:#d7191c;font-weight:600'")
        body.append(f"<tr><td class='l'><span class='sw' style='background:{row['colour']}'>"
                    f"</span>{_e(row['name'])}</td><td>{percent(row['iou_before'], 1)}</td>"
                    f"<td>{percent(row['iou_after'], 1)}</td><td{colour}>{_signed(gain)}</td>"
                    f"<td>{ha(after, int(row['reference_pixels']))}</td></tr>")
    return head + "".join(body) + "</table>"


def render_comparison_html(before: EvaluationResult, after: EvaluationResult,
                           labels: Tuple[str, str] = ("Before", "After")) -> str:
    """One report of two evaluations against the same reference (a base model and its
    fine-tuned version): the per-class IoU gain first, then each evaluation's own
    report (the same sections as :func:`render_html`)."""
    what = _title(after)
    return "".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>FLAIR land-cover before/after: {what}</title><style>{_CSS}</style>"
        "</head><body>",
        "<h1>Land-cover evaluation: before and after</h1>",
        f"<p class='sub'>{_e(labels[0])}: {_title(before)}; {_e(labels[1])}: {what}; scores "
        f"in scheme {_e(after.scheme.title)}</p>",
        "<h2>IoU gain per class</h2>",
        "".join(f"<p class='note'>{_e(line)}</p>" for line in gain_lines(before, after)[:1]),
        _gain_table(before, after),
        f"<h2>{_e(labels[1])}</h2>", _body(after, "h3"),
        f"<h2>{_e(labels[0])}</h2>", _body(before, "h3"),
        "</body></html>\n",
    ])


def write_comparison_html(before: EvaluationResult, after: EvaluationResult,
                          path: PathLike, *, labels: Tuple[str, str] = ("Before", "After"),
                          overwrite: bool = False) -> str:
    """The before/after report (see :func:`render_comparison_html`).

    Raises:
        InputError: as :func:`_write_text`, or evaluations in different schemes.
    """
    return _write_text(path, render_comparison_html(before, after, labels), overwrite)


def comparison_dict(before: EvaluationResult, after: EvaluationResult) -> Dict[str, object]:
    """Both evaluations and the gains, as plain JSON types."""
    return {"format": "flair-landcover-comparison/1", "before": before.to_dict(),
            "after": after.to_dict(), "gains": class_gains(before, after)}


def localized(result: EvaluationResult, language: str) -> EvaluationResult:
    """``result`` with its class names in ``language`` (for people: the log and the HTML
    report; the JSON and CSV keep the English names, the same for scripts everywhere)."""
    if language == "en":
        return result
    from .metrics import ConfusionMatrix

    return dataclasses.replace(result, confusion=ConfusionMatrix(
        result.scheme.localized(language), result.confusion.matrix))


def write_report_files(result: EvaluationResult, report_path: Optional[PathLike],
                       metrics_path: Optional[PathLike], *, overwrite: bool = False,
                       before: Optional[EvaluationResult] = None,
                       language: str = "en") -> List[str]:
    """The report files of an evaluation, for every front end (QGIS, the command): the
    HTML report, the metrics JSON and the per-class CSV beside it. With ``before`` (the
    map before fine-tuning, scored on the same reference): the before/after report, and
    a JSON holding both evaluations and the gains. ``language``: of the class names in
    the lines and the HTML (see :func:`localized`).

    Returns:
        The lines to log: the summary (and the gains with ``before``).

    Raises:
        InputError: as :func:`_write_text`, or evaluations in different schemes.
    """
    shown, shown_before = localized(result, language), before and localized(before, language)
    lines = summary_lines(shown)
    if before is not None:
        lines += gain_lines(shown_before, shown)
    if report_path:
        if before is None:
            write_html(shown, report_path, overwrite=overwrite)
        else:
            write_comparison_html(shown_before, shown, report_path, overwrite=overwrite,
                                  labels=("Before (base model)", "After (fine-tuned)"))
    if metrics_path:
        if before is None:
            write_json(result, metrics_path, overwrite=overwrite)
        else:
            _write_text(metrics_path, json.dumps(comparison_dict(before, result), indent=2,
                                                 allow_nan=False) + "\n", overwrite)
        write_csv(result, os.path.splitext(os.fspath(metrics_path))[0] + ".csv",
                  overwrite=overwrite)
    return lines
