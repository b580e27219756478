"""Write small detector output files from each format's documented layout.

Written by hand from the layouts in ``workbench/detect/{openface,pyfeat,imotions,facereader}.py``
(themselves from OpenFace's ``RecorderCSV.cpp``, py-feat's ``Fex`` columns, iMotions' TXT
export and Noldus FaceReader's detailed log); no vendor file is copied. Values come from the
caller: ``aus`` maps an AU number to one value per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

#: OpenFace 2.x AU blocks: 17 intensities, 18 presences (AU28 has only ``_c``).
OPENFACE_R = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
OPENFACE_C = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45)


def openface_header(legacy: bool = True) -> list[str]:
    """The OpenFace header: legacy (431 columns, no face_id) or 2.x (714 columns)."""
    head = ["frame", "timestamp", "confidence", "success"] if legacy else ["frame", "face_id", "timestamp",
                                                                             "confidence", "success"]  # fmt: skip
    gaze = [f"gaze_{e}_{a}" for e in (0, 1) for a in "xyz"]
    if not legacy:
        gaze += ["gaze_angle_x", "gaze_angle_y"]
        gaze += [f"eye_lmk_{a}_{i}" for a in ("x", "y", "X", "Y", "Z") for i in range(56)]
    pose = [f"pose_{t}" for t in ("Tx", "Ty", "Tz", "Rx", "Ry", "Rz")]
    lmk2 = [f"{a}_{i}" for a in "xy" for i in range(68)]
    lmk3 = [f"{a}_{i}" for a in "XYZ" for i in range(68)]
    pdm = ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty", *(f"p_{i}" for i in range(34))]
    aus = [f"AU{n:02d}_r" for n in OPENFACE_R] + [f"AU{n:02d}_c" for n in OPENFACE_C]
    return [*head, *gaze, *pose, *lmk2, *lmk3, *pdm, *aus]


def write_openface(
    path: Path,
    n: int,
    aus: Mapping[int, Sequence[float]] | None = None,
    *,
    fps: float = 30.0,
    success: Sequence[int] | None = None,
    frames: Sequence[int] | None = None,
    legacy: bool = False,
    sep: str = ", ",
    header: list[str] | None = None,
) -> Path:
    """An OpenFace CSV of ``n`` rows: frame from 1, timestamp (frame-1)/fps, AU_r from ``aus``."""
    names = header or openface_header(legacy)
    aus = aus or {}
    frames = list(frames) if frames is not None else list(range(1, n + 1))
    success = list(success) if success is not None else [1] * n
    column = {name: i for i, name in enumerate(names)}
    table = np.zeros((n, len(names)))
    table[:, column["frame"]] = frames
    table[:, column["timestamp"]] = (np.asarray(frames) - 1) / fps
    table[:, column["confidence"]] = 0.98
    table[:, column["success"]] = success
    for number, values in aus.items():
        if f"AU{number:02d}_r" in column:
            table[:, column[f"AU{number:02d}_r"]] = values
        if f"AU{number:02d}_c" in column:
            table[:, column[f"AU{number:02d}_c"]] = np.asarray(values) >= 1.0
    ints = {column[c] for c in ("frame", "success", "face_id") if c in column}
    stamp = column["timestamp"]
    lines = [sep.join(names)]
    for row in table:
        cells = (str(int(v)) if i in ints else f"{v:.3f}" if i == stamp else f"{v:.2f}" for i, v in enumerate(row))
        lines.append(sep.join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


#: py-feat's ``Detector`` AU and emotion columns.
PYFEAT_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 17, 20, 23, 24, 25, 26, 28, 43)
PYFEAT_EMOTIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")


def write_pyfeat(
    path: Path,
    n: int,
    aus: Mapping[int, Sequence[float]] | None = None,
    *,
    emotions: Mapping[str, Sequence[float]] | None = None,
    no_face: Sequence[int] = (),
    frames: Sequence[int] | None = None,
) -> Path:
    """A py-feat CSV (``Detector`` column order: face box, ..., AUs, emotions, input, frame)."""
    aus, emotions = aus or {}, emotions or {}
    names = ["FaceRectX", "FaceRectY", "FaceRectWidth", "FaceRectHeight", "FaceScore", "Pitch", "Roll", "Yaw"]
    names += [f"AU{a:02d}" for a in PYFEAT_AUS] + list(PYFEAT_EMOTIONS) + ["input", "frame"]
    frames = list(frames) if frames is not None else list(range(n))
    lines = [",".join(names)]
    for i in range(n):
        if i in no_face:
            cells = [""] * (len(names) - 2) + ["clip.mp4", str(frames[i])]
        else:
            cells = ["10", "12", "100", "120", "0.999", "1.5", "-0.5", "2.0"]
            cells += [f"{aus.get(a, [0.05] * n)[i]:.6f}" for a in PYFEAT_AUS]
            cells += [f"{emotions.get(e, [0.1] * n)[i]:.6f}" for e in PYFEAT_EMOTIONS]
            cells += ["clip.mp4", str(frames[i])]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


#: iMotions FACET AU evidence columns and emotion pairs (6.x TXT export).
FACET_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 18, 20, 23, 24, 25, 26, 28, 43)
FACET_EMOTIONS = ("Joy", "Anger", "Surprise", "Fear", "Contempt", "Disgust", "Sadness", "Neutral")


def write_facet(
    path: Path,
    n: int,
    aus: Mapping[int, Sequence[float]] | None = None,
    *,
    fps: float = 30.0,
    no_face: Sequence[int] = (),
    stimuli: Sequence[str] | None = None,
    frames: Sequence[int] | None = None,
) -> Path:
    """An iMotions 6.x FACET TXT export: ``#`` metadata, blank line, header, tab-separated, CRLF."""
    aus = aus or {}
    names = ["StudyName", "ExportDate", "Name", "Age", "Gender", "StimulusName", "SlideType", "EventSource",
             "Timestamp", "MediaTime", "PostMarker", "Annotation", "FrameNo", "FrameTime", "NoOfFaces"]  # fmt: skip
    for e in FACET_EMOTIONS:
        names += [f"{e} Evidence", f"{e} Intensity"]
    names += [f"AU{a} Evidence" for a in FACET_AUS] + ["Yaw Degrees", "Pitch Degrees", "Roll Degrees"]
    frames = list(frames) if frames is not None else list(range(n))
    stimuli = list(stimuli) if stimuli is not None else ["clip"] * n
    lines = ["#Study : Audit", "#Date : 20240101 10:00:00", "#Version : 6.1.2667.3", "#TestRunDate : 20240101", ""]
    lines.append("\t".join(names))
    for i in range(n):
        ms = round(frames[i] * 1000 / fps)
        faces = 0 if i in no_face else 1
        cells = ["Audit", "20240101", "p1", "30", "FEMALE", stimuli[i], "TestImage", "Emotient FACET",
                 str(ms), str(ms), "", "", str(frames[i]), str(ms), str(faces)]  # fmt: skip
        if faces:
            cells += ["-1.5", "0"] * len(FACET_EMOTIONS)
            cells += [f"{aus.get(a, [-2.0] * n)[i]:.6f}" for a in FACET_AUS] + ["1.0", "2.0", "0.5"]
        else:
            cells += [""] * (len(names) - len(cells))
        lines.append("\t".join(cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return path


#: FaceReader 6.1 AU columns (number, name).
FACEREADER_AUS = (
    (1, "Inner Brow Raiser"), (2, "Outer Brow Raiser"), (4, "Brow Lowerer"), (5, "Upper Lid Raiser"),
    (6, "Cheek Raiser"), (7, "Lid Tightener"), (9, "Nose Wrinkler"), (10, "Upper Lip Raiser"),
    (12, "Lip Corner Puller"), (14, "Dimpler"), (15, "Lip Corner Depressor"), (17, "Chin Raiser"),
    (18, "Lip Puckerer"), (20, "Lip Stretcher"), (23, "Lip Tightener"), (24, "Lip Pressor"),
    (25, "Lips Part"), (26, "Jaw Drop"), (27, "Mouth Stretch"), (43, "Eyes Closed"),
)  # fmt: skip
FACEREADER_EMOTIONS = ("Neutral", "Happy", "Sad", "Angry", "Surprised", "Scared", "Disgusted", "Contempt")


def _video_time(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def write_facereader(
    path: Path,
    n: int,
    aus: Mapping[int, Sequence[float]] | None = None,
    *,
    fps: float = 30.0,
    failed: Mapping[int, str] | None = None,
    letters: bool = False,
    sides: bool = False,
) -> Path:
    """A FaceReader detailed log (newer layout: blank line, ``Key<TAB>Value`` lines, header on
    line 11), AUs as numbers 0-1 or (``letters``) as NotActive / A-E; ``failed`` row -> word."""
    aus, failed = aus or {}, failed or {}
    au_names = []
    for number, word in FACEREADER_AUS:
        if sides:
            au_names += [f"Action Unit {number:02d} - {s} - {word}" for s in ("Left", "Right")]
        else:
            au_names.append(f"Action Unit {number:02d} - {word}")
    names = ["Video Time", *FACEREADER_EMOTIONS, "Valence", "Arousal", *au_names, "Stimulus", "Event Marker"]
    lines = ["Video analysis detailed log", "", "Face Model\tGeneral", "Calibration\t-",
             "Start time\t1/1/2024 10:00:00.000", "Filename\tC:\\videos\\clip.mp4",
             f"Frame rate\t{fps:.9f}", "", "", "", "\t".join(names)]  # fmt: skip
    for i in range(n):
        if i in failed:
            cells = [failed[i]] * (len(names) - 1)
        else:
            cells = ["0.100000000"] * len(FACEREADER_EMOTIONS) + ["0.000000000", "0.300000000"]
            for number, _ in FACEREADER_AUS:
                value = aus.get(number, [0.0] * n)[i]
                text = ("NotActive" if value < 0.5 else "ABCDE"[min(4, int(value) - 1)]) if letters else f"{value:.9f}"
                cells += [text] * (2 if sides else 1)
            cells += ["No Stimulus", "No Event Marker"]
        lines.append("\t".join([_video_time(i / fps), *cells]))
    path.write_text("\n".join(lines) + "\n")
    return path


def pulse(n: int, start: int, stop: int, peak: float, base: float = 0.0) -> np.ndarray:
    """A curve at ``base`` with a triangular rise to ``peak`` between ``start`` and ``stop``."""
    values = np.full(n, base, dtype=float)
    mid = (start + stop) / 2
    for i in range(start, stop + 1):
        values[i] = base + (peak - base) * (1 - abs(i - mid) / ((stop - start) / 2 + 1))
    return values
