"""The training options: every setting of a run, its default, its meaning and its limits.

:class:`TrainOptions` is the one definition: the Python API takes its fields as
keyword arguments, ``fastw2v train`` makes one flag per field (with the field's
default and help), and the benchmark asks every tool for the same settings from
its defaults. This module imports nothing heavy, so the command line's help and
the benchmark's harness can read it without loading NumPy or Numba.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from ..errors import OptionError

LOSSES = ("ns", "nce", "hs")  # the output layers: see fastw2v.engine.losses
MODELS = ("sg", "cbow")
DEFAULT_ALPHA = {"sg": 0.025, "cbow": 0.05}  # word2vec.c's starting learning rates
MIN_ALPHA_FRACTION = 0.0001  # the final learning rate, as a fraction of alpha (word2vec.c)
# Upper limits of the integer options.
_MOST = {"dim": 100_000, "window": 10_000, "negative": 10_000, "epochs": 1_000_000, "threads": 4096,
         "min_count": 2**62, "max_vocab_size": 2**62, "max_sentence_length": 2**31 - 1,
         "seed": 2**63 - 1, "minn": 1000, "maxn": 1000, "bucket": 2**31 - 2**24, "share_negatives": 10_000}
BATCHING = ("shared-negatives", "none")
CHOICES = {"model": MODELS, "batching": BATCHING, "loss": LOSSES}  # the options with a fixed set of values


def _option(default, help: str, *flags: str):
    """A field of :class:`TrainOptions`: its default, what it means (the help of its
    command-line flag) and, when not just ``--field-name``, the flags that set it."""
    return field(default=default, metadata={"help": help, "flags": flags})


@dataclass
class TrainOptions:
    """Every training setting, with word2vec.c's defaults where it has one.

    This is the one definition of the training options: the command line's flags
    (``fastw2v train --dim ...``) and the benchmark's settings are made from it.
    """

    model: str = _option("sg", "sg (skip-gram) or cbow.")
    dim: int = _option(100, "Vector dimensions.", "--dim", "--size")
    window: int = _option(5, "Maximum distance to a context word (each centre word draws its window "
                             "uniformly from 1..window).")
    negative: int = _option(5, "Negative samples per centre word.")
    sample: float = _option(1e-3, "Subsampling threshold for frequent words (0: off).")
    min_count: int = _option(5, "Ignore words seen fewer times than this.")
    max_vocab_size: int = _option(0, "Prune the rarest words while counting whenever more than this many "
                                     "are held (0: no limit).")
    alpha: float | None = _option(None, "Starting learning rate [default: 0.025 for sg, 0.05 for cbow].")
    min_alpha: float | None = _option(None, "Final learning rate [default: 0.0001 x alpha].")
    epochs: int = _option(5, "Passes over the corpus.", "--epochs", "--iter")
    threads: int | None = _option(None, "Worker threads [default: all cores].")
    seed: int = _option(1, "Random seed (same seed and --threads 1: same vectors).")
    ns_exponent: float = _option(0.75, "Exponent of the unigram distribution negatives are drawn from.")
    max_sentence_length: int = _option(10_000, "Cut longer lines into sentences of at most this many tokens.")
    batching: str = _option("shared-negatives", "Skip-gram update rule: shared-negatives (one negative "
                                                "set per centre word) or none (word2vec.c's per-pair rule).")
    share_negatives: int = _option(0, "With shared-negatives (skip-gram): how many context words of a centre "
                                      "share one draw of negatives; 0: all of them (with subwords, 2 scores "
                                      "higher on WordSim-353 at some cost in speed: docs/subwords.md).")
    loss: str = _option("ns", "Output layer: ns (negative sampling), nce (noise-contrastive estimation "
                              "with a bias per word, as tf.nn.nce_loss) or hs (hierarchical softmax, as "
                              "word2vec.c -hs 1).")
    minn: int = _option(3, "Shortest character n-gram (fastText's -minn; with --maxn > 0).")
    maxn: int = _option(0, "Longest character n-gram; 0: no subwords, plain word2vec (fastText's -maxn).")
    bucket: int = _option(2_000_000, "Hash buckets for the n-grams (fastText's -bucket).")

    @property
    def subwords(self) -> bool:
        """Whether words are given character n-grams (fastText's subword model)."""
        return self.maxn > 0

    def resolved(self) -> "TrainOptions":
        """A validated copy with every default filled in; an invalid value raises
        :class:`fastw2v.errors.OptionError` naming its field."""
        o = TrainOptions(**asdict(self))
        for name, choices in CHOICES.items():
            if getattr(o, name) not in choices:
                raise OptionError(name, f"must be {' or '.join(choices)} (got {getattr(o, name)!r})")
        at_least_one = ["dim", "window", "epochs", "min_count", "max_sentence_length"]
        if o.loss != "hs":  # hs draws no negatives: 0 is fine (word2vec.c -negative 0)
            at_least_one.append("negative")
        elif o.negative < 0:
            raise OptionError("negative", f"must be 0 or more (got {o.negative})")
        for name in at_least_one:
            if getattr(o, name) < 1:
                raise OptionError(name, f"must be at least 1 (got {getattr(o, name)})")
        if o.threads is None:
            o.threads = os.cpu_count() or 1
        if o.threads < 1:
            raise OptionError("threads", f"must be at least 1 (got {o.threads})")
        if o.maxn < 0 or o.minn < 1 or o.bucket < 0:
            name = "maxn" if o.maxn < 0 else "minn" if o.minn < 1 else "bucket"
            raise OptionError(name, f"must be {'at least 1' if name == 'minn' else '0 or more'} "
                                    f"(got {getattr(o, name)})")
        if o.maxn > 0 and (o.minn > o.maxn or o.bucket < 1):
            raise OptionError("minn" if o.minn > o.maxn else "bucket",
                              f"({o.minn if o.minn > o.maxn else o.bucket}) does not make n-grams: with "
                              f"{{maxn}} {o.maxn}, {{minn}} must be at most {{maxn}} and {{bucket}} at least 1",
                              also=("maxn", "minn", "bucket"))
        if o.share_negatives < 0:
            raise OptionError("share_negatives", f"must be 0 (all) or positive (got {o.share_negatives})")
        if o.max_vocab_size < 0:
            raise OptionError("max_vocab_size", f"must be 0 (no limit) or positive (got {o.max_vocab_size})")
        if o.seed < 0:
            raise OptionError("seed", f"must be 0 or more (got {o.seed})")
        for name, most in _MOST.items():  # far beyond any real use; keeps every allocation sane
            if getattr(o, name) > most:
                raise OptionError(name, f"must be at most {most:,} (got {getattr(o, name):,})")
        if o.alpha is None:
            o.alpha = DEFAULT_ALPHA[o.model]
        for name in ("sample", "alpha", "min_alpha", "ns_exponent"):
            value = getattr(o, name)
            if isinstance(value, int):  # from the API or a checkpoint: an int would compile another kernel
                setattr(o, name, float(value) if value < 1e308 else float("inf"))
        if o.min_alpha is None:
            o.min_alpha = MIN_ALPHA_FRACTION * o.alpha
        for name in ("sample", "alpha", "min_alpha", "ns_exponent"):
            value = getattr(o, name)
            if not value >= 0 or value == float("inf"):  # also rejects NaN
                raise OptionError(name, f"must be a finite number >= 0 (got {value})")
        if o.min_alpha > o.alpha:
            raise OptionError("min_alpha", f"({o.min_alpha}) must not exceed {{alpha}} ({o.alpha})",
                              also=("alpha",))
        return o
