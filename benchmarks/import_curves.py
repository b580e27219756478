"""Importing a 30-minute OpenFace CSV against a bare ``pandas.read_csv`` of the same file.

The file: 54,000 rows (30 min at 30 fps) of the legacy OpenFace layout, 431 columns, ``", "``
separators, written once by ``tests/support/detector_files.py``. Timed in the same run, best
of ``--repeat``:

- baseline: ``pandas.read_csv(path)``, nothing else;
- import: ``read_table("openface", path)`` (format check, last-line check, parse, numbers)
  and ``imported.place`` (frame checks, NaN where ``success == 0``, the curves arrays), which
  is what ``workbench import-curves`` does before it saves and spots.

Spotting and saving are timed too and printed beside, not in the ratio. Prints; asserts nothing.
Run: ``python benchmarks/import_curves.py [--rows 54000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.detector_files import openface_header, pulse, write_openface  # noqa: E402
from workbench.detect import imported  # noqa: E402
from workbench.detect.import_curves import read_table  # noqa: E402
from workbench.detect.spot import spot  # noqa: E402

FPS = 30.0


def make_file(path: Path, rows: int) -> Path:
    rng = np.random.default_rng(0)
    aus = {n: np.clip(rng.normal(0.3, 0.1, rows), 0, 5) for n in (1, 2, 4, 6, 12, 15, 25)}
    for start in range(1000, rows - 100, 3000):
        aus[12][start : start + 31] += pulse(31, 0, 30, 3.0)
    success = (rng.random(rows) > 0.01).astype(int)
    return write_openface(path, rows, aus, fps=FPS, success=success, legacy=True)


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=54_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        # the file is kept between runs (writing 23 million cells takes a while)
        path = Path(tempfile.gettempdir()) / "workbench-bench" / f"openface_{args.rows}.csv"
        path.parent.mkdir(exist_ok=True)
        t = time.perf_counter()
        if not path.exists():
            make_file(path, args.rows)
        print(
            f"file: {args.rows} rows x {len(openface_header(True))} columns, {path.stat().st_size / 1e6:.0f} MB "
            f"(ready in {time.perf_counter() - t:.1f} s)"
        )

        def bare():
            return pd.read_csv(path)

        def importing():
            table = read_table("openface", path)
            return imported.place(table, n_frames=args.rows, fps=FPS, clip="long.mp4", detector="openface")

        # interleave so that both see the same machine load
        t_bare, t_import = [], []
        for _ in range(args.repeat):
            t_bare.append(best(bare, 1)[0])
            elapsed, (arrays, warnings) = best(importing, 1)
            t_import.append(elapsed)
        t_spot, events = best(lambda: spot(imported.for_spotting(arrays["au"])), 1)
        t_save, _ = best(lambda: arrays["au"].to_dataset(name="curves").to_netcdf(Path(tmp) / "c.nc"), 1)
    b, i = min(t_bare), min(t_import)
    print(f"pandas.read_csv (bare)      {b:7.3f} s   (runs: {', '.join(f'{x:.2f}' for x in t_bare)})")
    print(f"import (read + check+place) {i:7.3f} s   (runs: {', '.join(f'{x:.2f}' for x in t_import)})")
    print(f"ratio import / bare read    {i / b:7.2f}x  (target <= 1.5x)")
    print(f"then: spot {t_spot:.3f} s ({len(events)} events), save netCDF {t_save:.3f} s; warnings: {warnings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
