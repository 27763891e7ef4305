"""fastw2v: fast word2vec (skip-gram and CBOW) on multicore CPUs.

>>> import fastw2v
>>> model = fastw2v.train("data/text8_head10M.txt.gz", epochs=1)   # doctest: +SKIP
>>> model.save("vectors.txt")                                      # doctest: +SKIP
>>> fastw2v.evaluate_analogies("vectors.txt").accuracy                # doctest: +SKIP

The names below are loaded on first use, so that ``import fastw2v`` (and the
command line's ``--help``) does not load NumPy and Numba until they are needed.
"""

from __future__ import annotations

import importlib

# Public name -> the module that defines it. (No top-level ``evaluate``: it would
# hide the module ``fastw2v.vectors.evaluate``.)
_PUBLIC = {
    "FastW2VError": ".errors",
    "RunControl": ".training.driver", "resume": ".training.driver", "train": ".training.driver",
    "TrainOptions": ".training.options",
    "Word2VecModel": ".training.model", "load_model": ".training.model",
    "Vocabulary": ".text.vocab",
    "WordVectors": ".vectors.query", "analogy": ".vectors.query", "load_vectors": ".vectors.query",
    "most_similar": ".vectors.query",
    "evaluate_analogies": ".vectors.evaluate", "evaluate_word_pairs": ".vectors.evaluate",
    "load_word2vec": ".vectors.word2vec_format", "save_word2vec": ".vectors.word2vec_format",
}
__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'fastw2v' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
