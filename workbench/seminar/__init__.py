"""The seminar for a whole class: students join from their own browsers, the presenter sees the class.

``workbench seminar serve`` (:mod:`workbench.seminar.cli`) serves a METT-shaped course
(:mod:`workbench.teach.course`) with Solara (:mod:`workbench.seminar.app`):

- :mod:`workbench.seminar.ledger`: who joined and every answer, journalled before acknowledged;
- :mod:`workbench.seminar.material`: frames, reveals and training examples, encoded once per class;
- :mod:`workbench.seminar.widgets`: the stage quiz (the notebook quiz, truth only after the answer)
  and the training (pairs side by side in slow motion, with the AUs that tell them apart);
- :mod:`workbench.seminar.classroom`: the settings saved with the class, the course, the results;
- :mod:`workbench.seminar.app`: the students' page and the presenter's page.

Nothing here is imported by ``import workbench``: Solara loads only when a seminar is served.
"""
