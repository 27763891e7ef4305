"""Phrases, as word2vec.c's ``word2phrase``: join frequent collocations (``new york``
-> ``new_york``) before training.

One pass counts every word and every pair of consecutive words within a sentence
(a line), then rewrites the corpus left to right: the pair ``a b`` is joined when

    score = (count(a b) - min_count) / count(a) / count(b) * total_words > threshold

where ``a``, ``b`` and the pair ``a b`` must each occur at least ``min_count``
times (otherwise the score is 0, as in word2phrase, whose vocabulary drops rarer
entries). As in word2phrase, a word joined to the one before it is not joined to
the one after it in the same pass; further passes (on the previous pass's
output) build longer phrases.

Counting uses the Numba tokenizer of :mod:`fastw2v.text.encode` and NumPy (pair keys
``a * V + b`` counted with ``np.unique``); the output is assembled by a Numba
kernel and written in blocks (compressed when the output name ends in .gz, .bz2,
.xz or .zst). The encoded corpus (4 bytes per word) is held in memory during a pass.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numba import njit

from .. import compression
from ..errors import FastW2VError, OptionError
from ..files import atomic_write, classify_output
from ..progress import Display, format_rate
from .corpus import Corpus, EncodedCorpus
from .encode import vocab_and_corpus
from .vocab import Vocabulary

_MAX_SENTENCE = 2**31 - 1  # word2phrase keeps lines whole
_WRITE_TOKENS = 1 << 20  # tokens per output block


def phrase_score(count_ab, count_a, count_b, total_words, min_count):
    """word2phrase's score of the pair ``a b`` (vectorised over NumPy arrays).

    ``(count_ab - min_count) / count_a / count_b * total_words``, or 0 when the
    pair or either word occurs fewer than ``min_count`` times.
    """
    ab = np.asarray(count_ab, dtype=np.float64)
    a = np.asarray(count_a, dtype=np.float64)
    b = np.asarray(count_b, dtype=np.float64)
    ok = (ab >= min_count) & (a >= min_count) & (b >= min_count) & (a > 0) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(ok, (ab - min_count) / np.where(ok, a, 1) / np.where(ok, b, 1)
                         * float(total_words), 0.0)
    return float(score) if score.ndim == 0 else score


def _check_params(min_count: int, thresholds: Sequence[float], delimiter: str) -> None:
    if min_count < 1:
        raise OptionError("min_count", f"must be 1 or more (got {min_count})")
    for t in thresholds:
        if not np.isfinite(t) or t < 0:
            raise OptionError("threshold", f"must be a number >= 0 (got {t})")
    if not delimiter or any(c.isspace() for c in delimiter):
        raise OptionError("delimiter", f"must be non-empty and contain no whitespace (got {delimiter!r})")


def _as_corpus(corpus) -> Corpus:
    return corpus if isinstance(corpus, Corpus) else Corpus(corpus)


def _encode(corpus: Corpus, update=None) -> tuple[Vocabulary, EncodedCorpus]:
    return vocab_and_corpus(corpus, min_count=1, max_vocab_size=0,
                            max_sentence_length=_MAX_SENTENCE, progress=update)


def _pair_scores(vocab: Vocabulary, encoded: EncodedCorpus, min_count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score of every pair position: ``scores[i]`` for tokens ``i-1, i`` (0 at sentence starts).

    Also returns the distinct pair keys and their counts.
    """
    tokens = encoded.tokens
    n = tokens.shape[0]
    V = np.int64(len(vocab))
    counts = vocab.counts.astype(np.int64)
    valid = np.ones(n, dtype=bool)  # position i pairs tokens i-1 and i
    valid[0] = False
    starts = encoded.sentence_ends[:-1]
    valid[starts[starts < n]] = False
    keys = tokens[:-1].astype(np.int64) * V + tokens[1:]
    keys_valid = keys[valid[1:]]
    uniq, pair_counts = np.unique(keys_valid, return_counts=True)
    pab = np.zeros(n, dtype=np.int64)
    if uniq.size:
        pos = np.searchsorted(uniq, keys)
        pab[1:] = np.where(valid[1:], pair_counts[np.minimum(pos, uniq.size - 1)], 0)
    pa = np.zeros(n, dtype=np.int64)
    pa[1:] = counts[tokens[:-1]]
    pb = counts[tokens]
    scores = phrase_score(pab, pa, pb, int(encoded.n_words), min_count)
    scores = np.atleast_1d(scores)
    scores[~valid] = 0.0
    return scores, uniq, pair_counts


@njit(cache=True)
def _greedy_joins(scores, threshold):
    """join[i]: token i is joined to token i-1 (word2phrase: a joined word starts no pair)."""
    n = scores.shape[0]
    join = np.zeros(n, dtype=np.bool_)
    for i in range(1, n):
        if scores[i] > threshold and not join[i - 1]:
            join[i] = True
    return join


@njit(cache=True)
def _render(tokens, join, start, stop, sent_ends, sent_idx, arena, offs, delim, out):
    """Write tokens[start:stop] as text into ``out``; return (bytes written, next sentence index)."""
    p = 0
    s = sent_idx
    for i in range(start, stop):
        if i > 0:
            if join[i]:
                for c in delim:
                    out[p] = c
                    p += 1
            elif s < sent_ends.shape[0] and sent_ends[s] == i:
                out[p] = 10
                p += 1
                s += 1
            else:
                out[p] = 32
                p += 1
        w = tokens[i]
        for j in range(offs[w], offs[w + 1]):
            out[p] = arena[j]
            p += 1
    if stop == tokens.shape[0] and stop > 0:
        out[p] = 10
        p += 1
        s += 1
    return p, s


def _word_arena(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    offs = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offs[1:])
    arena = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return arena, offs


@contextlib.contextmanager
def _open_output(path: Path):
    """Binary writer for ``path``, compressed by its suffix, replaced atomically."""
    with atomic_write(path, "wb") as raw, compression.writer(raw, compression.suffix_of(path)) as f:
        yield f


def _write(path: Path, vocab: Vocabulary, encoded: EncodedCorpus, join: np.ndarray,
           delimiter: str, update=None) -> None:
    arena, offs = _word_arena(vocab.words)
    delim = np.frombuffer(delimiter.encode("utf-8"), dtype=np.uint8)
    tokens = encoded.tokens
    lengths = offs[1:] - offs[:-1]
    n = tokens.shape[0]
    sent_idx = 0
    with _open_output(path) as f:
        for start in range(0, n, _WRITE_TOKENS):
            stop = min(n, start + _WRITE_TOKENS)
            need = int(lengths[tokens[start:stop]].sum()) + (stop - start) * (len(delim) + 1) + 1
            out = np.empty(need, dtype=np.uint8)
            p, sent_idx = _render(tokens, join, start, stop, encoded.sentence_ends, sent_idx,
                                  arena, offs, delim, out)
            f.write(out[:p].tobytes())
            if update is not None:
                update(stop)


def find_phrases(corpus, *, min_count: int = 5, threshold: float = 100.0,
                 delimiter: str = "_") -> dict[str, float]:
    """The pairs of ``corpus`` that score above ``threshold``: ``{"a_b": score}``.

    ``corpus`` is a :class:`~fastw2v.text.corpus.Corpus`, file path(s) or a list of
    token lists. Every distinct pair is scored (no left-to-right greed), so a
    pair listed here may still be left unjoined where its first word was just
    joined to the word before it.
    """
    _check_params(min_count, [threshold], delimiter)
    vocab, encoded = _encode(_as_corpus(corpus))
    _, uniq, pair_counts = _pair_scores(vocab, encoded, min_count)
    V = np.int64(len(vocab))
    a, b = uniq // V, uniq % V
    scores = np.atleast_1d(phrase_score(pair_counts, vocab.counts[a], vocab.counts[b],
                                        encoded.n_words, min_count))
    words = vocab.words
    return {f"{words[i]}{delimiter}{words[j]}": float(s)
            for i, j, s in zip(a[scores > threshold].tolist(), b[scores > threshold].tolist(),
                               scores[scores > threshold].tolist())}


def _thresholds(threshold, passes: int) -> list[float]:
    if isinstance(threshold, (int, float)):
        return [float(threshold)] * passes
    values = [float(t) for t in threshold]
    if len(values) == 1:
        return values * passes
    if len(values) != passes:
        raise FastW2VError(f"give one {{threshold}} or one per pass ({passes} passes, "
                           f"{len(values)} thresholds)", fields=("threshold",))
    return values


def phrase_pass(corpus, output, *, threshold: float = 100.0, min_count: int = 5,
                delimiter: str = "_", display: Display | None = None, label: str = "") -> dict:
    """One word2phrase pass: read ``corpus``, write it with pairs joined to ``output``.

    Returns ``{"words": .., "joined": .., "vocabulary": .., "seconds": ..}``.
    """
    display = display or Display(False)
    corpus = _as_corpus(corpus)
    t0 = time.perf_counter()
    with display.reading(f"reading{label}", corpus.expected_bytes) as update:
        vocab, encoded = _encode(corpus, update)
    scores, _, _ = _pair_scores(vocab, encoded, min_count)
    join = _greedy_joins(scores, float(threshold))
    with display.phase(f"writing{label}", encoded.n_words) as update:
        _write(Path(output), vocab, encoded, join, delimiter, update)
    return {"words": encoded.n_words, "joined": int(join.sum()), "vocabulary": len(vocab),
            "seconds": time.perf_counter() - t0}


def phrase_corpus(corpus, output, *, passes: int = 2, threshold=(200.0, 100.0),
                  min_count: int = 5, delimiter: str = "_", progress: bool | Display = False) -> list[dict]:
    """Run ``passes`` word2phrase passes over ``corpus``, writing the result to ``output``.

    ``threshold`` is one number for every pass or one per pass (word2vec.c's demo:
    200 then 100). Intermediate passes go to a temporary file beside ``output`` (in the
    system's temporary directory when ``output`` is a pipe or a device).
    Returns one summary dict per pass (see :func:`phrase_pass`).
    """
    if passes < 1:
        raise OptionError("passes", f"must be 1 or more (got {passes})")
    thresholds = _thresholds(threshold, passes)
    _check_params(min_count, thresholds, delimiter)
    where = classify_output(output)  # intermediate passes go beside the file written, or to /tmp for a pipe
    output = where.path
    display = progress if isinstance(progress, Display) else Display(bool(progress))
    source = _as_corpus(corpus)
    summaries = []
    tmp_paths: list[str] = []
    try:
        for k, t in enumerate(thresholds):
            last = k == passes - 1
            if last:
                target = output
            else:
                fd, name = tempfile.mkstemp(prefix=f".{output.name}.pass{k + 1}.", suffix=".txt",
                                            dir=where.scratch_dir)
                os.close(fd)
                tmp_paths.append(name)
                target = Path(name)
            label = f" {k + 1}/{passes}" if passes > 1 else ""
            summary = phrase_pass(source, target, threshold=t, min_count=min_count,
                                  delimiter=delimiter, display=display, label=label)
            summary["threshold"] = t
            summaries.append(summary)
            display.line(f"pass {k + 1}: {summary['words']:,} words, {summary['joined']:,} pairs joined "
                         f"at threshold {t:g}, {summary['seconds']:.1f} s "
                         f"({format_rate(summary['words'] / max(summary['seconds'], 1e-9))})")
            if not last:  # the output itself is never read back: it may be a pipe
                source = Corpus(target)
    finally:
        for name in tmp_paths:
            with contextlib.suppress(OSError):
                os.unlink(name)
    return summaries
