"""The training log: one JSON object per line, appended as training goes.

``fastw2v train --log FILE`` writes it; ``fastw2v plot`` draws it
(:mod:`fastw2v.pictures.plots`).
"""

from __future__ import annotations

import json

from ..errors import FastW2VError


class TrainingLog:
    """A JSON-lines training log: one object per line, appended and flushed as it comes.

    Records: ``{"event": "start", "options": {...}}`` when a run starts or resumes,
    then one ``{"event": "epoch", ...}`` per epoch (fields in docs/visualise.md).
    """

    def __init__(self, path):
        self.path = path
        try:
            self._file = open(path, "a", encoding="utf-8")
        except OSError as exc:
            raise FastW2VError(f"cannot write the log {path}: {exc.strerror or exc}") from None

    def write(self, record: dict) -> None:
        try:
            self._file.write(json.dumps(record, allow_nan=False) + "\n")
            self._file.flush()
        except OSError as exc:
            raise FastW2VError(f"cannot write the log {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        self._file.close()
