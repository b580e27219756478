"""Another detector's per-frame output as curves: the rules every format shares.

Each format module (:mod:`~workbench.detect.openface`, :mod:`~workbench.detect.pyfeat`,
:mod:`~workbench.detect.imotions`, :mod:`~workbench.detect.facereader`) reads its file into
a :class:`FrameTable`: one row per line of the file, with the frame number or the time the
file gives, whether the detector found a face, and the values of each kind of channel
(``au``: AU intensities or probabilities; ``emotion``: per-frame emotion evidence;
``presence``: OpenFace's 0/1 AU presence). :func:`place` then puts those rows on the clip's
frame indices and checks them against the clip:

- **Placing.** By frame number (``frame - frame_base``: OpenFace counts from 1, py-feat and
  iMotions from 0) or, when the file has no frame numbers, by time (``round(time * fps)``).
  Frames of the clip the file does not cover are NaN.
- **Checks**, each one error naming the file, the line and the rule: a frame beyond the clip,
  two rows on the same frame, a frame rate the file declares (or its frame numbers and times
  imply) that differs from the clip's by more than :data:`FPS_TOLERANCE`.
- **No face.** Rows where the detector failed (OpenFace ``success == 0``, py-feat's empty
  rows, iMotions ``NoOfFaces <= 0``, FaceReader ``FIND_FAILED`` / ``FIT_FAILED``) are NaN;
  their count is in the warnings and in attr ``frames_without_face``.
- **Scale.** Values keep the detector's own scale (OpenFace 0-5, probabilities 0-1, FACET
  log10-odds evidence, AFFDEX 0-100), named in attrs ``scale``, ``scale_min``,
  ``scale_max``, ``scale_transform``. :func:`normalise` maps them to 0-1 for display and
  comparison: linear scales by their declared range, log10-odds with ``1 / (1 + 10**-x)``.

The curves follow :func:`workbench.arrays.validate_curves` with the coords the spotter reads
(``au_number``, ``side``, ``noise``). The spotter's thresholds are in baseline-normalised
units (about 0..1 above a neutral face), so spotting gets :func:`for_spotting`: the
normalised curves minus a neutral reference, the median of each curve over the least active
:data:`NEUTRAL_FRACTION` of frames (never the clip's median: many clips are mostly expression).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from workbench.arrays import ARRAYS_VERSION, validate_curves
from workbench.detect.au import robust_noise

#: Relative difference between the file's frame rate and the clip's that is still the same rate.
FPS_TOLERANCE = 0.01
#: Share of the frames, least active first, whose median is the neutral reference.
NEUTRAL_FRACTION = 0.2
#: Channel kinds a format may give, and the dim each becomes.
KIND_DIMS = {"au": "au", "presence": "au", "emotion": "emotion"}
_AU_NAME = re.compile(r"^AU(\d+)([LR]?)$")


@dataclass(frozen=True)
class Scale:
    """The scale a detector writes its values on.

    Attributes
    ----------
    name
        In words, for attrs and messages (``"0-5 intensity"``).
    minimum, maximum
        The declared range (NaN for an unbounded scale such as log-odds).
    transform
        ``"linear"`` (0-1 by the range) or ``"log10_odds"`` (``1 / (1 + 10**-x)``).
    """

    name: str
    minimum: float = 0.0
    maximum: float = 1.0
    transform: str = "linear"


@dataclass
class Channels:
    """One kind of channels of a file: names (``AU12``, ``AU12L``, ``happiness``) and values."""

    names: list[str]
    values: np.ndarray  # (rows, channels), float
    scale: Scale


@dataclass
class FrameTable:
    """A detector's per-frame output as read from its file, before it meets the clip.

    Attributes
    ----------
    path, format
        The file and the format's name, for messages and attrs.
    lines
        The file line (1-based) of each row.
    frame
        Frame number of each row as written, or None when the file gives times only.
    frame_base
        The number of the clip's first frame in this format (OpenFace 1, others 0).
    time
        Seconds of each row, or None.
    valid
        Whether the detector found a face on the row.
    channels
        Kind (``au``, ``emotion``, ``presence``) -> channels.
    fps, fps_line
        The frame rate the file declares and its line, if it declares one.
    attrs
        More provenance for the curves' attrs (format version, skipped columns...).
    """

    path: Path
    format: str
    lines: np.ndarray
    frame: np.ndarray | None
    frame_base: int
    time: np.ndarray | None
    valid: np.ndarray
    channels: dict[str, Channels]
    fps: float | None = None
    fps_line: int | None = None
    attrs: dict = field(default_factory=dict)


def where(path: object, line: int | None = None, column: str | None = None) -> str:
    """``" (file, line 3, column 'AU12_r')"`` for a message."""
    parts = [str(path)]
    if line is not None:
        parts.append(f"line {int(line)}")
    if column is not None:
        parts.append(f"column {column!r}")
    return f" ({', '.join(parts)})"


def fail(rule: str, got: str, path: object, line: int | None = None, column: str | None = None) -> ValueError:
    """The one error of a bad file: ``Expected <rule>, but got <got> (file, line, column).``"""
    return ValueError(f"Expected {rule}, but got {got}{where(path, line, column)}.")


def au_coords(names: Sequence[str]) -> tuple[list[int], list[str]]:
    """AU numbers and sides of curve names ``AU12``, ``AU12L``, ``AU12R``."""
    numbers, sides = [], []
    for name in names:
        m = _AU_NAME.match(name)
        if m is None:
            raise ValueError(f"Expected AU curve names like 'AU12' or 'AU12L', but got {name!r}.")
        numbers.append(int(m.group(1)))
        sides.append(m.group(2))
    return numbers, sides


def with_bilateral(names: list[str], values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Add ``AUn`` as the mean of ``AUnL`` and ``AUnR`` where a file gives only the sides
    (the spotter finds movements on the bilateral curves; sides decide ``L12`` / ``R12``)."""
    numbers, sides = au_coords(names)
    have = {n for n, s in zip(numbers, sides, strict=True) if not s}
    out_names, columns = [], []
    for number in dict.fromkeys(numbers):
        cols = [i for i, n in enumerate(numbers) if n == number]
        if number not in have:
            out_names.append(f"AU{number}")
            columns.append(np.nanmean(values[:, cols], axis=1) if len(cols) > 1 else values[:, cols[0]])
        for i in cols:
            out_names.append(names[i])
            columns.append(values[:, i])
    return out_names, np.stack(columns, axis=1) if columns else values


def read_header(path: Path, n: int = 64) -> list[str]:
    """The first ``n`` lines of a text file (universal newlines, BOM dropped).

    Raises
    ------
    FileNotFoundError
        Naming the file.
    ValueError
        For an empty or binary file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Expected a detector output file, but {path} does not exist.")
    lines = []
    with open(path, encoding="utf-8-sig", errors="replace", newline=None) as f:
        for line in f:
            lines.append(line.rstrip("\n"))
            if len(lines) >= n:
                break
    if not lines or not any(line.strip() for line in lines):
        raise fail("a text file with a header line", "an empty file", path, 1)
    if "\x00" in "".join(lines):
        raise fail("a text file", "binary data", path, 1)
    return lines


def numeric_columns(df: pd.DataFrame, names: Sequence[str], path: Path, lines: np.ndarray) -> dict[str, np.ndarray]:
    """Columns as float arrays; a cell that is no number is an error naming its line and column
    (empty cells are NaN)."""
    out = {}
    for name in names:
        column = df[name]
        if not pd.api.types.is_numeric_dtype(column.dtype):
            numbers = pd.to_numeric(column.astype("string").str.strip().replace("", None), errors="coerce")
            bad = np.flatnonzero(
                numbers.isna().to_numpy()
                & column.notna().to_numpy()
                & (column.astype("string").str.strip() != "").fillna(False).to_numpy()
            )
            if bad.size:
                i = int(bad[0])
                raise fail("a number or an empty cell", repr(column.iloc[i]), path, int(lines[i]), name)
            column = numbers
        out[name] = column.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def last_line_check(path: Path, n_fields: int, sep: str, header_line: int) -> None:
    """A writer killed mid-line leaves a last line with fewer fields than the header."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 65536))
        tail = f.read().decode("utf-8", errors="replace")
    lines = tail.splitlines()
    while lines and not lines[-1].strip(sep + " \t"):
        lines.pop()
    if not lines:
        return
    got = lines[-1].count(sep) + 1
    if got < n_fields:
        n_lines = count_lines(path)
        raise fail(
            f"{n_fields} fields on every line, as in the header (line {header_line})",
            f"{got} on the last line: the file is truncated (the detector stopped while writing it)",
            path,
            n_lines,
        )


def count_lines(path: Path) -> int:
    """Lines of a file (a last line without a newline counts; CR-only files too)."""
    data = Path(path).read_bytes()
    n = data.count(b"\n") or data.count(b"\r")
    return n + (1 if data and not data.endswith((b"\n", b"\r")) else 0)


def implied_fps(frame: np.ndarray, time: np.ndarray) -> float | None:
    """The frame rate the frame numbers and times imply: frames over seconds, first to last row
    with a time (rounded timestamps make single steps uneven, so no step-wise median)."""
    ok = np.flatnonzero(np.isfinite(time))
    if ok.size < 2:
        return None
    a, b = ok[0], ok[-1]
    frames, seconds = float(frame[b]) - float(frame[a]), float(time[b]) - float(time[a])
    return frames / seconds if frames > 0 and seconds > 0 else None


def _check_fps(table: FrameTable, fps: float) -> None:
    declared, line = table.fps, table.fps_line
    how = "declared"
    if declared is None and table.frame is not None and table.time is not None:
        declared, line, how = implied_fps(table.frame, table.time), None, "implied by its frame numbers and times"
    if declared is None or abs(declared - fps) <= FPS_TOLERANCE * fps:
        return
    raise fail(
        f"the clip's frame rate, {fps:g} fps (within {FPS_TOLERANCE:.0%})",
        f"{declared:.2f}".rstrip("0").rstrip(".") + f" fps {how} in the file",
        table.path,
        line,
    )


def frame_indices(table: FrameTable, n_frames: int, fps: float) -> np.ndarray:
    """The clip frame index of each row; errors for frames beyond the clip and duplicates."""
    if table.frame is not None:
        index = np.asarray(table.frame, dtype=np.int64) - table.frame_base
        what = f"frame numbers {table.frame_base}..{n_frames - 1 + table.frame_base}"
        shown = np.asarray(table.frame, dtype=np.int64)
    else:
        seconds = np.asarray(table.time, dtype=float)
        if not np.isfinite(seconds).all():
            i = int(np.flatnonzero(~np.isfinite(seconds))[0])
            raise fail(
                "a time on every row (the file has no frame numbers)", "an empty time", table.path, table.lines[i]
            )
        index = np.rint(seconds * fps).astype(np.int64)
        what = f"times 0..{(n_frames - 1) / fps:.3f} s"
        shown = np.asarray(table.time, dtype=float)
    bad = np.flatnonzero((index < 0) | (index >= n_frames))
    if bad.size:
        i = int(bad[0])
        raise fail(
            f"{what} (the clip has {n_frames} frames at {fps:g} fps)",
            f"{shown[i]:g} ({bad.size} row(s) beyond the clip)",
            table.path,
            int(table.lines[i]),
        )
    order = np.argsort(index, kind="stable")
    same = np.flatnonzero(np.diff(index[order]) == 0)
    if same.size:
        a, b = int(order[same[0]]), int(order[same[0] + 1])
        raise fail(
            "one row per frame",
            f"frame {shown[b]:g} again (first on line {int(table.lines[a])}; several faces, or rows written twice)",
            table.path,
            int(table.lines[b]),
        )
    return index


def place(
    table: FrameTable,
    *,
    n_frames: int,
    fps: float,
    clip: str,
    detector: str,
    check_fps: bool = True,
) -> tuple[dict[str, xr.DataArray], list[str]]:
    """Put a file's rows on the clip's frames: one curves array per kind, and warnings.

    Parameters
    ----------
    table
        What a format module read.
    n_frames, fps
        The clip's (:class:`workbench.video.Clip`).
    clip, detector
        The curves' ``clip`` and ``detector`` attrs.
    check_fps
        Refuse a file whose declared or implied frame rate differs from the clip's.

    Raises
    ------
    ValueError
        One message naming the file, the line and the rule.
    """
    if check_fps:
        _check_fps(table, fps)
    index = frame_indices(table, n_frames, fps)
    valid = np.asarray(table.valid, dtype=bool)
    covered = np.zeros(n_frames, dtype=bool)
    covered[index] = True
    without_face = int((~valid).sum())
    missing = int(n_frames - covered.sum())
    warnings = []
    if without_face:
        warnings.append(f"{without_face} frame(s) without a face (no detection) are NaN")
    if missing:
        warnings.append(f"{missing} frame(s) of the clip are not in the file and are NaN")
    frames = np.arange(n_frames)
    out = {}
    for kind, channels in table.channels.items():
        data = np.full((n_frames, len(channels.names)), np.nan, dtype=np.float32)
        data[index[valid]] = channels.values[valid]
        out[kind] = _array(kind, channels, data, frames, fps, clip, detector, table, without_face, missing)
    return out, warnings


def _array(kind, channels, data, frames, fps, clip, detector, table, without_face, missing) -> xr.DataArray:
    dim = KIND_DIMS[kind]
    coords = {"frame": frames, "time": ("frame", frames / fps), dim: list(channels.names)}
    if dim == "au":
        numbers, sides = au_coords(channels.names)
        coords.update(au_number=("au", numbers), side=("au", sides))
    coords["noise"] = (dim, [robust_noise(data[:, i].astype(float)) for i in range(data.shape[1])])
    attrs = {
        "fps": float(fps),
        "clip": clip,
        "detector": detector,
        "schema_version": ARRAYS_VERSION,
        "kind": kind,
        "scale": channels.scale.name,
        "scale_min": float(channels.scale.minimum),
        "scale_max": float(channels.scale.maximum),
        "scale_transform": channels.scale.transform,
        "source_file": table.path.name,
        "source_format": table.format,
        "placed_by": "frame number" if table.frame is not None else "time",
        "frames_without_face": without_face,
        "frames_not_in_file": missing,
        **table.attrs,
    }
    curves = xr.DataArray(data, dims=("frame", dim), coords=coords, name=f"{detector}_{kind}", attrs=attrs)
    return validate_curves(curves, table.path)


def normalise(curves: xr.DataArray) -> xr.DataArray:
    """Curves on 0..1 by their declared scale (display, comparison); unchanged without one.

    Linear scales map ``scale_min..scale_max`` to 0..1 (values outside stay outside, e.g.
    OpenFace's occasional 5.2); ``log10_odds`` maps evidence to a probability. The ``noise``
    coord is recomputed on the new values.
    """
    transform = curves.attrs.get("scale_transform")
    if transform is None:
        return curves
    values = curves.values.astype(np.float64)
    if transform == "log10_odds":
        values = 1.0 / (1.0 + np.power(10.0, -values))
    elif transform == "linear":
        lo, hi = float(curves.attrs["scale_min"]), float(curves.attrs["scale_max"])
        values = (values - lo) / (hi - lo)
    else:
        raise ValueError(f"Expected scale_transform 'linear' or 'log10_odds', but got {transform!r}.")
    out = curves.copy(data=values.astype(np.float32))
    out.attrs.update(scale="0-1 (normalised)", scale_min=0.0, scale_max=1.0, scale_transform="linear")
    out.attrs["normalised_from"] = str(curves.attrs.get("scale", ""))
    dim = curves.dims[1]
    return out.assign_coords(noise=(dim, [robust_noise(values[:, i]) for i in range(values.shape[1])]))


def neutral_reference(values: np.ndarray, fraction: float = NEUTRAL_FRACTION) -> np.ndarray:
    """Per channel: the median over the least active ``fraction`` of frames.

    A frame's activity is the mean of its channels; frames without values are left out.
    """
    finite = np.isfinite(values).all(axis=1)
    if not finite.any():
        return np.full(values.shape[1], np.nan)
    rows = values[finite]
    activity = rows.mean(axis=1)
    k = max(1, int(np.ceil(fraction * len(rows))))
    calm = np.argpartition(activity, k - 1)[:k]
    return np.median(rows[calm], axis=0)


def for_spotting(curves: xr.DataArray) -> xr.DataArray:
    """Normalised curves minus the neutral reference: what :func:`workbench.detect.spot.spot` takes.

    The reference is in the coord ``reference`` and attr ``reference``.
    """
    norm = normalise(curves)
    dim = curves.dims[1]
    bilateral = norm["side"].values == "" if "side" in norm.coords else np.ones(norm.sizes[dim], bool)
    values = norm.values.astype(np.float64)
    reference = neutral_reference(values[:, bilateral]) if bilateral.any() else np.zeros(0)
    ref = np.zeros(values.shape[1])
    ref[bilateral] = reference
    if "au_number" in norm.coords and (~bilateral).any():
        # a side's reference is its own least-active median, on the same frames' rule
        ref[~bilateral] = neutral_reference(values[:, ~bilateral])
    out = norm.copy(data=(values - ref).astype(np.float32))
    out.attrs["reference"] = f"median of the least active {NEUTRAL_FRACTION:.0%} of frames (normalised units)"
    return out.assign_coords(reference=(dim, ref))


def kinds(arrays: dict[str, xr.DataArray]) -> Iterable[str]:
    """The kinds present, AU curves first."""
    return sorted(arrays, key=lambda k: (k != "au", k))
