"""A seeded synthetic corpus with a Zipf–Mandelbrot vocabulary, for speed benchmarks.

Training speed depends on the size of the model (the vocabulary, hence the
input and output matrices, the noise table and the cache traffic), not on what
the words mean. This generator makes a corpus of any size with a chosen number
of word types and a realistic rank–frequency curve, so that model size can be
varied on its own, reproducibly and without downloading anything::

    python -m bench.zipf_corpus --types 2000000 --tokens 100000000 --out zipf_2M_100M.txt
    python -m bench.zipf_corpus --types 2000000 --tokens 100000000 --out zipf.txt.gz --compress gz

Options: ``--exponent S`` (default 1.07), ``--q Q`` (default 2.7), ``--seed N``
(default 1), ``--line-words N`` (tokens per line, default 1000: word2vec.c's
sentence limit and ``bench``'s own wrap), ``--compress none|gz`` (default: from
the file name, ``.gz`` means gzip), ``--force`` (replace an existing output).

Word frequencies
----------------
The word of rank ``r`` (1 ... ``types``) has probability

    p(r) = (r + q) ** -s / sum_k (k + q) ** -s

the Zipf–Mandelbrot law (Zipf 1936, 1949; Mandelbrot 1953). ``q`` flattens the
head of the curve, where plain Zipf (``q = 0``) overstates the few commonest
words, and ``s`` is the slope of the tail on a log–log plot. Piantadosi
(2014), "Zipf's word frequency law in natural language: a critical review and
future directions", Psychonomic Bulletin & Review 21(5), 1112–1130, reviews the
law and shows Mandelbrot's two-parameter form following English word counts
closely; fits to English give an exponent a little above 1 and a shift of
about 2.7, which is where the defaults ``s = 1.07`` and ``q = 2.7`` come from.
With 2,000,000 types the commonest word is then 3.1% of the tokens and the 100
commonest 36% (in English "the" is about 5–7% and the 100 commonest words
about half of running text: the head here is somewhat lighter and the tail
heavier, i.e. more distinct words, which suits a model-size benchmark).
``--exponent`` and ``--q`` change them.

Tokens are drawn independently (i.i.d.) from ``p``: there is no syntax, no
co-occurrence structure and no burstiness, so the vectors trained on this
corpus mean nothing and must not be scored for quality; only times, memory and
throughput are meaningful. Because draws are independent, the rare ranks are
rare indeed: many of the types never occur or occur fewer than 5 times. For
2,000,000 types and 100,000,000 tokens the expected numbers are about 1.95M
distinct types seen and about 1.11M types seen at least 5 times (the vocabulary
at word2vec's default ``min_count`` 5), holding about 96.9M of the tokens. The
sidecar (below) reports the actual numbers of the corpus written.

Sampling is by inversion: a float64 cumulative table of ``p`` (its last entry
set to exactly 1.0) and, for each uniform draw ``u`` from
``numpy.random.default_rng(seed).random``, the first rank whose cumulative
probability exceeds ``u`` -- exactly ``numpy.searchsorted(cdf, u, side="right")``,
found through a guide table (:class:`InverseSampler`) about 4 times as fast.
Tokens are drawn, looked up and written 10,000,000 at a time, so memory stays
bounded whatever ``--tokens`` is: about 0.55 GB peak at 2M types. The token
stream depends only on the seed and the distribution, not on the block size or
``--line-words`` (each token takes one draw). It is reproducible on one numpy
version; numpy does not promise the same stream from ``Generator.random``
across versions, so the sidecar records the version.

Speed: 2,000,000 tokens of 2,000,000 types in 1.4 s (1.4M tokens/s, about 0.85 s
of it setting up the tables), 10,000,000 in 3.6 s, on a busy 2-core machine:
about 0.28 s per million tokens after set-up, so about 30 s for 100M tokens
plain text (``--compress gz`` adds about 0.14 s per million tokens).

Word spellings
--------------
The spelling of rank ``r`` is ``r`` written in bijective base 100 (digits 1 ...
100, no zero, most significant first), each digit a consonant–vowel syllable
(20 consonants, every letter but the vowels and ``q``, times the 5 vowels
``aeiou``): ranks 1–100 are ``ba`` ... ``zu``, 101–10,100 are four letters
(``baba`` ...), 10,101–1,010,100 six letters, then eight letters up to rank
101,010,100. Bijective numeration gives every positive integer exactly one
digit string and every syllable is two letters, so the spellings are distinct,
lowercase ASCII, never empty, free of whitespace, and their length grows with
the logarithm of the rank: frequent words are short as in real text (mean
token length 3.9 letters at the defaults with 2M types, against about 4.5–5
for English). The alphabet of syllables is small, so a subword model sees far
fewer distinct character n-grams than on real text.

Output
------
Plain text (UTF-8, in fact ASCII), words separated by one space, ``--line-words``
tokens a line, the last line possibly shorter, every line ending in ``\\n``;
or the same gzip-compressed (level 1, no name and a zero time stamp in the
header, so the bytes too depend only on the arguments). The file is written to
a temporary file in the output's directory and moved into place with
``os.replace`` only when complete; an existing output (or its sidecar) is left
alone and the command fails unless ``--force`` is given.

Next to ``FILE`` goes ``FILE.json``: the parameters (``types``, ``tokens``,
``exponent``, ``q``, ``seed``, ``line_words``, ``compress``), ``lines``,
``text_bytes`` (uncompressed), ``distinct_types`` (types that occurred at least
once), ``types_min_count_5`` and ``tokens_min_count_5`` (the vocabulary and the
in-vocabulary tokens at ``min_count`` 5), and the numpy version.

Bad arguments print one ``zipf_corpus: error: ...`` line on stderr and exit
with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from fastw2v.errors import FastW2VError
from fastw2v.files import atomic_write

VERSION = 1
DEFAULT_EXPONENT = 1.07
DEFAULT_Q = 2.7
DEFAULT_SEED = 1
DEFAULT_LINE_WORDS = 1000
BLOCK_TOKENS = 10_000_000  # tokens drawn, looked up and written at a time
MAX_TYPES = 20_000_000  # a word table and a cumulative table of this size take about 2.5 GB
GZIP_LEVEL = 1  # 5 times as fast as 6 and 10% larger: i.i.d. words compress poorly anyway
MIN_COUNT = 5  # word2vec's default, reported in the sidecar

CONSONANTS = b"bcdfghjklmnprstvwxyz"  # 20: every letter but the vowels and q
VOWELS = b"aeiou"
BASE = len(CONSONANTS) * len(VOWELS)  # 100 syllables: ba be bi bo bu ca ... zu


class UsageError(Exception):
    """A bad argument or a refused output: one line on stderr, exit status 2."""


# --- the distribution ------------------------------------------------------------------------

def _weights(types: int, exponent: float, q: float) -> np.ndarray:
    """``((r + q) / (1 + q)) ** -s``: proportional to ``(r + q) ** -s``, 1.0 at rank 1, so no underflow to 0/0."""
    return ((np.arange(1, types + 1, dtype=np.float64) + q) / (1.0 + q)) ** -exponent


def probabilities(types: int, exponent: float = DEFAULT_EXPONENT, q: float = DEFAULT_Q) -> np.ndarray:
    """``p[r - 1]``: the Zipf–Mandelbrot probability of rank ``r``, float64, summing to 1."""
    w = _weights(types, exponent, q)
    return w / w.sum()


def cumulative(types: int, exponent: float = DEFAULT_EXPONENT, q: float = DEFAULT_Q) -> np.ndarray:
    """The cumulative table used for sampling: nondecreasing, last entry exactly 1.0."""
    cdf = np.cumsum(_weights(types, exponent, q))
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    return cdf


# --- spellings -------------------------------------------------------------------------------

def _spelling_matrix(ranks: np.ndarray, end: bytes = b"") -> np.ndarray:
    """One row of ASCII codes per rank: its syllables, then ``end``, NUL-padded on the right."""
    r = np.asarray(ranks, dtype=np.int64).ravel().copy()
    if r.size and r.min() < 1:
        raise ValueError("ranks start at 1")
    n = r.size
    digits = []  # least significant first; -1 where the number has no more digits
    length = np.zeros(n, dtype=np.int64)  # syllables per rank
    while r.size and r.max() > 0:
        live = r > 0
        r1 = r - 1
        digits.append(np.where(live, r1 % BASE, -1))
        r = np.where(live, r1 // BASE, 0)
        length += live
    width = 2 * len(digits) + len(end)
    mat = np.zeros((n, max(width, 1)), dtype=np.uint8)
    cons = np.frombuffer(CONSONANTS, dtype=np.uint8)
    vows = np.frombuffer(VOWELS, dtype=np.uint8)
    for i, d in enumerate(digits):
        rows = np.nonzero(d >= 0)[0]
        dd = d[rows]
        col = 2 * (length[rows] - 1 - i)
        mat[rows, col] = cons[dd // len(VOWELS)]
        mat[rows, col + 1] = vows[dd % len(VOWELS)]
    for j, byte in enumerate(end):
        mat[np.arange(n), 2 * length + j] = byte
    return mat


def spell_bytes(ranks, end: bytes = b"") -> np.ndarray:
    """The spellings of ``ranks`` (1-based) as a numpy object array of ``bytes``, each + ``end``."""
    mat = _spelling_matrix(np.asarray(ranks), end)
    # numpy's fixed-width bytes drop trailing NULs when read back, which is the padding
    return mat.view(f"S{mat.shape[1]}")[:, 0].astype(object)


def spell(rank: int) -> str:
    """The word of rank ``rank``: ``spell(1) == 'ba'``, ``spell(100) == 'zu'``, ``spell(101) == 'baba'``."""
    return spell_bytes([rank])[0].decode("ascii")


def words(types: int) -> list[str]:
    """The words of ranks 1 ... ``types``, commonest first."""
    return [w.decode("ascii") for w in spell_bytes(np.arange(1, types + 1)).tolist()]


# --- writing ---------------------------------------------------------------------------------

def _check(types: int, tokens: int, exponent: float, q: float, seed: int, line_words: int) -> None:
    if not 1 <= types <= MAX_TYPES:
        raise UsageError(f"--types must be from 1 to {MAX_TYPES:,} (got {types})")
    if tokens < 1:
        raise UsageError(f"--tokens must be at least 1 (got {tokens})")
    if not (math.isfinite(exponent) and exponent > 0):
        raise UsageError(f"--exponent must be a positive number (got {exponent})")
    if not (math.isfinite(q) and q > -1):
        raise UsageError(f"--q must be a number above -1, so that 1 + q > 0 (got {q})")
    if seed < 0:
        raise UsageError(f"--seed must be 0 or more (got {seed})")
    if line_words < 1:
        raise UsageError(f"--line-words must be at least 1 (got {line_words})")


def sidecar_path(out: str | os.PathLike) -> Path:
    """``FILE`` -> ``FILE.json``."""
    out = Path(out)
    return out.with_name(out.name + ".json")


def _check_output(out: Path, compress: str, force: bool) -> None:
    gz_name = out.name.lower().endswith(".gz")
    if compress == "gz" and not gz_name:
        raise UsageError(f"--compress gz needs a file name ending in .gz (got {out})")
    if compress == "none" and gz_name:
        raise UsageError(f"{out} ends in .gz: use --compress gz or another name")
    if out.is_dir():
        raise UsageError(f"{out} is a directory")
    if not out.parent.is_dir():
        raise UsageError(f"directory does not exist: {out.parent}")
    if not force:
        for path in (out, sidecar_path(out)):
            if path.exists():
                raise UsageError(f"{path} exists (use --force to replace it)")


class InverseSampler:
    """Inversion sampling from a cumulative table, exactly ``np.searchsorted(cdf, u, side="right")``.

    A guide table (Chen and Asau 1974) of ``2**k >= 4 * len(cdf)`` entries holds, for
    every ``j``, the answer for ``u = j / 2**k``; the answer for any ``u`` lies between
    the entries of its two neighbouring grid points, and is found there by a short
    vectorised bisection (only about one draw in eight needs it at 2M types). One lookup in
    a table instead of a 21-level binary search over 16 MB: about 4 times as fast.
    """

    def __init__(self, cdf: np.ndarray):
        if cdf.ndim != 1 or cdf.size == 0 or cdf[-1] != 1.0:
            raise ValueError("cdf must be a nonempty 1-d table ending in 1.0")
        self.cdf = cdf
        self.bits = max(16, int(cdf.size * 4 - 1).bit_length())
        grid = np.arange((1 << self.bits) + 1, dtype=np.float64) / (1 << self.bits)
        # guide[j]: the first index whose cdf exceeds j / 2**bits
        self.guide = np.searchsorted(cdf, grid, side="right").astype(np.int64)
        np.minimum(self.guide, cdf.size - 1, out=self.guide)  # every u < 1 maps below len(cdf)

    def __call__(self, u: np.ndarray) -> np.ndarray:
        j = (u * (1 << self.bits)).astype(np.int64)  # exact: u has 53 bits, the scale is a power of 2
        lo = self.guide[j]
        hi = self.guide[j + 1]
        del j
        pos = np.nonzero(lo < hi)[0]
        low, high, uu = lo[pos], hi[pos], u[pos]
        del hi
        cdf = self.cdf
        while pos.size:
            mid = (low + high) >> 1
            right = cdf[mid] > uu  # the answer is at most mid
            high = np.where(right, mid, high)
            low = np.where(right, low, mid + 1)
            done = low >= high
            if done.any():
                lo[pos[done]] = low[done]
                keep = ~done
                pos, low, high, uu = pos[keep], low[keep], high[keep], uu[keep]
        return lo


def _line_table(types: int) -> np.ndarray:
    """Row ``2 i``: word ``i + 1`` and a space; row ``2 i + 1``: the word and a newline (uint8, NUL-padded)."""
    spaced = _spelling_matrix(np.arange(1, types + 1), b" ")
    table = np.empty((2 * types, spaced.shape[1]), dtype=np.uint8)
    table[0::2] = spaced
    table[1::2] = np.where(spaced == ord(" "), ord("\n"), spaced)  # the space is the only one in a row
    return table


def generate(out: str | os.PathLike, types: int, tokens: int, *, exponent: float = DEFAULT_EXPONENT,
             q: float = DEFAULT_Q, seed: int = DEFAULT_SEED, line_words: int = DEFAULT_LINE_WORDS,
             compress: str | None = None, force: bool = False,
             block_tokens: int = BLOCK_TOKENS) -> dict:
    """Write the corpus to ``out`` and its description to ``out.json``; return the description.

    ``compress`` is ``"none"``, ``"gz"`` or ``None`` (gzip when ``out`` ends in ``.gz``).
    Raises :class:`UsageError` for bad arguments or an existing output without ``force``.
    ``block_tokens`` sets memory use only: the output does not depend on it.
    """
    out = Path(out)
    if compress is None:
        compress = "gz" if out.name.lower().endswith(".gz") else "none"
    if compress not in ("none", "gz"):
        raise UsageError(f"--compress must be none or gz (got {compress})")
    _check(types, tokens, exponent, q, seed, line_words)
    if block_tokens < 1:
        raise ValueError("block_tokens must be at least 1")
    _check_output(out, compress, force)

    sample = InverseSampler(cumulative(types, exponent, q))
    table = _line_table(types)  # a token's row: 2 * (rank - 1) + (1 if it ends a line)
    counts = np.zeros(types, dtype=np.int64)
    rng = np.random.default_rng(seed)

    text_bytes = 0
    # fastw2v's own atomic writer: a temporary file beside each output, renamed over it
    # only when complete, so a failure leaves nothing behind and no old file damaged.
    with atomic_write(out) as raw:
        opened = (gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0)
                  if compress == "gz" else contextlib.nullcontext(raw))  # atomic_write closes raw
        with opened as sink:
            done = 0
            while done < tokens:
                n = min(block_tokens, tokens - done)
                codes = sample(rng.random(n))
                counts += np.bincount(codes, minlength=types)
                codes *= 2
                first = (line_words - 1 - done % line_words) % line_words  # first line end in the block
                codes[first::line_words] += 1
                if done + n == tokens:
                    codes[-1] |= 1  # the last, perhaps shorter, line ends too
                rows = table[codes].ravel()
                del codes
                chunk = rows[rows != 0]  # drop the padding
                del rows
                sink.write(chunk)
                text_bytes += chunk.size
                del chunk
                done += n
        seen = counts[counts > 0]
        kept = counts[counts >= MIN_COUNT]
        meta = {
            "generator": "bench.zipf_corpus", "version": VERSION, "file": out.name,
            "types": types, "tokens": tokens, "exponent": exponent, "q": q, "seed": seed,
            "line_words": line_words, "compress": compress,
            "lines": -(-tokens // line_words), "text_bytes": text_bytes,
            "distinct_types": int(seen.size),
            f"types_min_count_{MIN_COUNT}": int(kept.size),
            f"tokens_min_count_{MIN_COUNT}": int(kept.sum()),
            "numpy": np.__version__,
        }
        if not force:
            _check_output(out, compress, force)  # did one appear while we were writing?
        with atomic_write(sidecar_path(out), "w") as side:  # in place just before the corpus
            side.write(json.dumps(meta, indent=1) + "\n")
    return meta


# --- command line ----------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise UsageError(message)


def integer(text: str) -> int:
    """An integer, ``2000000`` or ``2_000_000`` or ``2e6``."""
    try:
        return int(text)
    except ValueError:
        value = float(text)  # a ValueError becomes argparse's "invalid integer value"
        if not value.is_integer():
            raise ValueError(text) from None
        return int(value)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m bench.zipf_corpus",
                description="Write a seeded synthetic corpus with a Zipf–Mandelbrot vocabulary "
                            "(see the module docstring) and FILE.json describing it.")
    p.add_argument("--types", type=integer, required=True, help="word types (ranks) in the distribution")
    p.add_argument("--tokens", type=integer, required=True, help="tokens to write")
    p.add_argument("--out", required=True, metavar="FILE", help="output file (.gz: gzip)")
    p.add_argument("--exponent", type=float, default=DEFAULT_EXPONENT,
                   help=f"Zipf–Mandelbrot exponent s (default {DEFAULT_EXPONENT})")
    p.add_argument("--q", type=float, default=DEFAULT_Q, help=f"Zipf–Mandelbrot shift q (default {DEFAULT_Q})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--line-words", type=integer, default=DEFAULT_LINE_WORDS,
                   help=f"tokens per line (default {DEFAULT_LINE_WORDS})")
    p.add_argument("--compress", choices=("none", "gz"), default=None,
                   help="none or gz (default: gz when FILE ends in .gz)")
    p.add_argument("--force", action="store_true", help="replace an existing FILE and FILE.json")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        t0 = time.perf_counter()
        meta = generate(args.out, args.types, args.tokens, exponent=args.exponent, q=args.q,
                        seed=args.seed, line_words=args.line_words, compress=args.compress,
                        force=args.force)
    except UsageError as exc:
        print(f"zipf_corpus: error: {exc}", file=sys.stderr)
        return 2
    except FastW2VError as exc:  # e.g. a full disk: the partial file is already removed
        print(f"zipf_corpus: error: {exc}", file=sys.stderr)
        return 1
    dt = max(time.perf_counter() - t0, 1e-9)
    print(f"wrote {args.out}: {meta['tokens']:,} tokens of {meta['types']:,} types "
          f"({meta['distinct_types']:,} occur, {meta[f'types_min_count_{MIN_COUNT}']:,} at least "
          f"{MIN_COUNT} times), {meta['text_bytes'] / 1e6:,.1f} MB of text in {dt:.1f} s "
          f"({meta['tokens'] / dt / 1e6:.2f}M tokens/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
