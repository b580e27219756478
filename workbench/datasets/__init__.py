"""Read and write the formats micro-expression researchers use.

Importers turn a dataset's coding file into the events table (rater = dataset name,
original values in ``*_raw`` columns) and a report of what they repaired or could not
read. Each is ``load(path, media=None) -> ImportResult``; the module of each dataset
documents the layout it reads.

============  ====================================================  =======
name          file                                                  fps
============  ====================================================  =======
``casme2``    CASME II ``CASME2-coding-*.xlsx``                     200
``samm``      SAMM ``SAMM_Micro_FACS_Codes_v2.xlsx``                200
``samm_lv``   SAMM Long Videos ``SAMM_LongVideos_V2_Release.xlsx``  200
``casme_sq``  CAS(ME)^2 ``CAS(ME)^2code_final.xlsx``                30
``casme3``    CAS(ME)^3 Part A ``cas(me)3_part_A_*_label_*.xlsx``   30
``mmew``      MMEW ``MMEW_Micro_Exp.xlsx``                          90
``elan``      ELAN ``.eaf`` (:mod:`workbench.datasets.elan`)        in file
``megc``      MEGC spotting log (:mod:`workbench.datasets.megc`)    --fps
``events``    any detector's events CSV, ``--columns`` mapping       --fps
              (:mod:`workbench.datasets.events_csv`)
============  ====================================================  =======
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.datasets import casme2, casme3, casme_sq, elan, events_csv, megc, mmew, samm, samm_lv
from workbench.datasets.build import ImportResult

#: Format name -> ``load(path, media=None, **options) -> ImportResult``.
IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    "casme2": casme2.load,
    "samm": samm.load,
    "samm_lv": samm_lv.load,
    "casme_sq": casme_sq.load,
    "casme3": casme3.load,
    "mmew": mmew.load,
    "elan": elan.load,
    "megc": megc.load,
    "events": events_csv.load,
}

#: Recording frame rate of each dataset.
DATASET_FPS: dict[str, float] = {
    "casme2": casme2.FPS,
    "samm": samm.FPS,
    "samm_lv": samm_lv.FPS,
    "casme_sq": casme_sq.FPS,
    "casme3": casme3.FPS,
    "mmew": mmew.FPS,
}

#: Dataset -> ``frame_path(clip, number)``: the image file of a dataset frame number,
#: relative to the media root (SAMM Long Videos: numbers are read from the image names).
FRAME_PATHS: dict[str, Callable[[str, int], str]] = {
    "casme2": casme2.frame_path,
    "samm": samm.frame_path,
    "casme_sq": casme_sq.frame_path,
    "casme3": casme3.frame_path,
    "mmew": mmew.frame_path,
}

__all__ = ["DATASET_FPS", "FRAME_PATHS", "IMPORTERS", "ImportResult"]
