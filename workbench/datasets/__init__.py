"""Read and write the formats micro-expression researchers use.

Importers turn a dataset's coding file into the events table (rater = dataset name,
original values in ``*_raw`` columns) and a report of what they repaired or could not
read. Each is ``load(path, media=None) -> ImportResult``; see the module of each
dataset for the layout it reads.
"""

from workbench.datasets.build import ImportResult

__all__ = ["ImportResult"]
