"""Side-by-side speed and quality benchmark: fastw2v against gensim, fastText and word2vec.c.

Run ``python -m bench run --help`` and ``python -m bench scaling --help``; the method
is described in ``bench/README.md``.
"""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
