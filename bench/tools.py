"""The trainers compared, one small class each: availability, version, command line.

Every tool runs as its own process (see :mod:`bench.measure`) with the same
settings (:class:`Settings`) on the same prepared corpus, and writes its vectors
as word2vec text so one evaluator scores them all.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from fastw2v.training.options import (
    DEFAULT_ALPHA,
    MIN_ALPHA_FRACTION,
    MODELS,
    TrainOptions,
)

from . import BENCH_DIR, REPO_DIR

RUNNERS = BENCH_DIR / "runners"
ALL_TOOLS = ("fastw2v", "gensim", "gensim-file", "fasttext", "word2vec-c", "gensim-fasttext")
DEFAULT_TOOLS = "fastw2v,gensim,gensim-file,fasttext,word2vec-c"
# --subwords: the trainers of fastText's model (words plus hashed character n-grams)
SUBWORD_TOOLS = "fastw2v,fasttext,gensim-fasttext"
# --subwords without --minn/--maxn/--bucket: fastText's own defaults (-minn 3 -maxn 6 -bucket 2000000)
FASTTEXT_SUBWORDS = {"minn": 3, "maxn": 6, "bucket": 2_000_000}


# fastw2v's own defaults (the one definition, fastw2v.TrainOptions): the bench asks
# every tool for the same settings, and by default for these.
_DEFAULTS = TrainOptions()


@dataclass
class Settings:
    """What every tool is asked to do (the same for all)."""

    model: str = _DEFAULTS.model
    dim: int = _DEFAULTS.dim
    window: int = _DEFAULTS.window
    negative: int = _DEFAULTS.negative
    sample: float = _DEFAULTS.sample
    min_count: int = _DEFAULTS.min_count
    epochs: int = _DEFAULTS.epochs
    alpha: float | None = _DEFAULTS.alpha  # None: fastw2v's default for the model
    min_alpha: float | None = _DEFAULTS.min_alpha  # None: fastw2v's (and word2vec.c's) floor
    threads: int = 1
    seed: int = _DEFAULTS.seed
    # Character n-grams (fastText's model); maxn 0 (fastw2v's default): none, plain word2vec.
    minn: int = _DEFAULTS.minn
    maxn: int = _DEFAULTS.maxn
    bucket: int = _DEFAULTS.bucket

    @property
    def subwords(self) -> bool:
        return self.maxn > 0

    def resolved(self) -> "Settings":
        s = Settings(**asdict(self))
        if s.model not in MODELS:
            raise ValueError(f"unknown model {s.model!r} (choose {' or '.join(MODELS)})")
        if s.maxn < 0:
            raise ValueError(f"maxn must be 0 (no subwords) or positive (got {s.maxn})")
        if s.subwords and not 1 <= s.minn <= s.maxn:
            raise ValueError(f"subwords need 1 <= minn <= maxn (got minn {s.minn}, maxn {s.maxn})")
        if s.subwords and s.bucket < 1:
            raise ValueError(f"subwords need at least one bucket (got bucket {s.bucket})")
        if s.alpha is None:
            s.alpha = DEFAULT_ALPHA[s.model]
        if s.min_alpha is None:
            s.min_alpha = MIN_ALPHA_FRACTION * s.alpha
        return s

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def _dist_version(*names: str) -> str | None:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


class Tool:
    name = ""
    description = ""
    subwords = False  # can train fastText's model (character n-grams)

    def describe(self, s: Settings) -> str:
        """What runs, with these settings (the report's description)."""
        if s.subwords and not self.subwords:
            return self.description + " (no subwords: plain word2vec, for reference)"
        return self.description

    def unavailable(self) -> str | None:
        """Why this tool cannot run here (None: it can)."""
        return None

    def version(self) -> str | None:
        return None

    def command(self, corpus: str, output: str, s: Settings, phases: str) -> list[str]:
        raise NotImplementedError

    def env(self, base: dict) -> dict:
        return base

    def notes(self) -> list[str]:
        return []


class FastW2V(Tool):
    name = "fastw2v"
    description = "fastw2v CLI (`python -m fastw2v.cli train`)"
    subwords = True

    def describe(self, s):
        if s.subwords:
            return f"{self.description}, --minn {s.minn} --maxn {s.maxn} --bucket {s.bucket}"
        return self.description

    def unavailable(self):
        if not _has_module("fastw2v"):
            return "fastw2v is not importable from this Python (pip install -e . in the repository)"
        return None

    def version(self):
        v = _dist_version("fastw2v") or "?"
        commit = git_commit()
        return f"{v} (git {commit})" if commit else v

    def command(self, corpus, output, s, phases):
        # A token cache of its own for every run, so that each run reads, counts and
        # encodes the corpus as on first use (a reused cache would skip that work,
        # which the peers always do).
        # Subword flags only in subword mode, so plain runs work with any fastw2v.
        subwords = ["--minn", str(s.minn), "--maxn", str(s.maxn), "--bucket", str(s.bucket)] \
            if s.subwords else []
        return [sys.executable, "-m", "fastw2v.cli", "train", corpus, "-o", output,
                "--cache-dir", str(output) + ".cache",
                "--model", s.model, "--dim", str(s.dim), "--window", str(s.window),
                "--negative", str(s.negative), "--sample", repr(s.sample),
                "--min-count", str(s.min_count), "--epochs", str(s.epochs),
                "--alpha", repr(s.alpha), "--min-alpha", repr(s.min_alpha),
                "--threads", str(s.threads), "--seed", str(s.seed), *subwords, "--quiet"]


class Gensim(Tool):
    name = "gensim"
    mode = "iterable"
    description = "gensim Word2Vec, iterable corpus (LineSentence)"

    def unavailable(self):
        if not _has_module("gensim"):
            return "gensim is not installed (pip install gensim)"
        return None

    def version(self):
        return _dist_version("gensim")

    def command(self, corpus, output, s, phases):
        return [sys.executable, str(RUNNERS / "gensim_runner.py"), "--mode", self.mode,
                corpus, output, s.to_json(), phases]


class GensimFile(Gensim):
    name = "gensim-file"
    mode = "file"
    description = "gensim Word2Vec, corpus_file mode"

    def unavailable(self):
        reason = super().unavailable()
        if reason is None and not _has_module("gensim.models.word2vec_corpusfile"):
            reason = "this gensim build has no corpus_file support (gensim.models.word2vec_corpusfile)"
        return reason


class GensimFastText(Gensim):
    name = "gensim-fasttext"
    mode = "fasttext"
    description = "gensim FastText, corpus_file mode"
    subwords = True

    def describe(self, s):
        return f"{self.description}, min_n={s.minn} max_n={s.maxn} bucket={s.bucket}" if s.subwords \
            else f"{self.description}, max_n=0 (no n-grams: plain word2vec)"

    def unavailable(self):
        reason = super().unavailable()
        if reason is None and not _has_module("gensim.models.fasttext_corpusfile"):
            reason = "this gensim build has no FastText corpus_file support (gensim.models.fasttext_corpusfile)"
        return reason


class FastText(Tool):
    name = "fasttext"
    description = "fastText train_unsupervised, minn=0 maxn=0 (plain word2vec)"
    subwords = True

    def describe(self, s):
        if s.subwords:
            return (f"fastText train_unsupervised, minn={s.minn} maxn={s.maxn} bucket={s.bucket}; "
                    ".vec of every word's get_word_vector")
        return self.description

    def unavailable(self):
        if not _has_module("fasttext"):
            return "fastText is not installed (pip install fasttext)"
        return None

    def version(self):
        return _dist_version("fasttext", "fasttext-wheel", "fasttext-numpy2-wheel")

    def command(self, corpus, output, s, phases):
        return [sys.executable, str(RUNNERS / "fasttext_runner.py"), corpus, output, s.to_json(), phases]


class Word2VecC(Tool):
    name = "word2vec-c"
    description = "word2vec.c binary given with --word2vec-c"

    def __init__(self, path: str | None):
        self.path = path

    def unavailable(self):
        if not self.path:
            return ("no --word2vec-c PATH given (the project does not ship or build word2vec.c; "
                    "see bench/README.md for how to build one)")
        p = Path(self.path)
        if not p.is_file():
            return f"--word2vec-c {self.path}: no such file"
        if not os.access(p, os.X_OK):
            return f"--word2vec-c {self.path}: not executable"
        return None

    def version(self):
        if self.unavailable():
            return None
        digest = hashlib.sha256(Path(self.path).read_bytes()).hexdigest()[:16]
        return f"{Path(self.path).resolve()} (sha256 {digest})"

    def command(self, corpus, output, s, phases):
        return [str(Path(self.path).resolve()), "-train", corpus, "-output", output,
                "-size", str(s.dim), "-window", str(s.window), "-negative", str(s.negative),
                "-hs", "0", "-sample", repr(s.sample), "-min-count", str(s.min_count),
                "-iter", str(s.epochs), "-threads", str(s.threads),
                "-cbow", "1" if s.model == "cbow" else "0", "-alpha", repr(s.alpha),
                "-binary", "0", "-debug", "0"]


def make_tools(names: list[str], word2vec_c: str | None = None) -> list[Tool]:
    tools = []
    for name in names:
        if name == "fastw2v":
            tools.append(FastW2V())
        elif name == "gensim":
            tools.append(Gensim())
        elif name == "gensim-file":
            tools.append(GensimFile())
        elif name == "fasttext":
            tools.append(FastText())
        elif name == "gensim-fasttext":
            tools.append(GensimFastText())
        elif name == "word2vec-c":
            tools.append(Word2VecC(word2vec_c))
        else:
            raise ValueError(f"unknown tool {name!r} (choose from {', '.join(ALL_TOOLS)})")
    return tools


def parse_tools(spec: str) -> list[str]:
    names = [t.strip() for t in spec.split(",") if t.strip()]
    if not names:
        raise ValueError("no tool selected")
    for n in names:
        if n not in ALL_TOOLS:
            raise ValueError(f"unknown tool {n!r} (choose from {', '.join(ALL_TOOLS)})")
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO_DIR), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        if out.returncode != 0:
            return None
        commit = out.stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_DIR), "status", "--porcelain", "--", "fastw2v"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None
