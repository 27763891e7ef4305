"""fastText's binary model format (``.bin``), read and written.

This is fastw2v's full-model file: the ``fasttext`` package
(``fasttext.load_model``) and gensim (``load_facebook_model``,
``load_facebook_vectors``) load what :func:`save_fasttext_bin` writes, and
:func:`load_fasttext_bin` reads what they write. A plain word2vec model is a
fastText model without subwords: ``maxn 0``, ``bucket 0``.

Layout (fastText 0.9, format version 12; all numbers little-endian)::

    int32 magic 793712314, int32 version 12
    args:  int32 dim, ws, epoch, minCount, neg, wordNgrams,
           loss (1 hs, 2 ns, 3 softmax, 4 ova), model (1 cbow, 2 sg, 3 sup),
           bucket, minn, maxn, lrUpdateRate; float64 t
    dictionary: int32 size, int32 nwords, int32 nlabels, int64 ntokens,
           int64 pruneidx_size (-1: not pruned), then per entry the word's
           bytes, a NUL byte, int64 count, int8 type (0 word, 1 label),
           then pruneidx_size pairs of int32 (pruned, i.e. quantized, models only)
    bool quant_input, input matrix:  int64 m, int64 n, m * n float32
           (m = nwords + bucket: the word rows, then the n-gram bucket rows)
    bool qout, output matrix: the same (for ns, hs and softmax, one row per word)

Format version 11 has the same layout (it differs only in that fastText
ignores subwords of version-11 *supervised* models, which are refused here);
the first few days of version 11 (May 2017) had other layouts, and such files
are refused as damaged. fastText itself reads any version up to 12; older,
pre-magic files (before 2017) are refused as "not a fastText model".

Reading trusts nothing: every size is checked against what the file can
still hold before anything is allocated, and every problem raises
:class:`FastW2VError` with one line naming the file. Refused on purpose:
supervised models and label entries (fastw2v trains word vectors), quantized
``.ftz`` models, non-finite values, trailing bytes.

Words are stored as bytes. fastText does not require UTF-8; words that are not
valid UTF-8 are decoded with replacement (U+FFFD), as fastw2v decodes corpus
tokens, so such a word does not round-trip byte for byte; two words that
become the same after replacement are refused as duplicates. Words are written
as UTF-8 (lone surrogates passed through, as elsewhere in fastw2v); a word
holding a NUL byte or an empty word cannot be stored and is refused.
"""

from __future__ import annotations

import os
import stat
import struct
import sys
from dataclasses import dataclass

import numpy as np

from ..errors import FastW2VError
from ..files import atomic_write

MAGIC = 793712314
VERSION = 12
READ_VERSIONS = (11, 12)
LOSSES = {"hs": 1, "ns": 2, "softmax": 3, "ova": 4}
MODELS = {"cbow": 1, "sg": 2, "sup": 3}
_LOSS_NAMES = {v: k for k, v in LOSSES.items()}
_MODEL_NAMES = {v: k for k, v in MODELS.items()}

_ARGS = struct.Struct("<12id")  # dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate t
_DICT_HEAD = struct.Struct("<3iqq")  # size nwords nlabels ntokens pruneidx_size
_ENTRY_TAIL = struct.Struct("<qb")  # count, type
_MATRIX_HEAD = struct.Struct("<qq")  # m, n
_MIN_ENTRY_BYTES = 1 + 1 + _ENTRY_TAIL.size  # a one-byte word, NUL, count, type
_CHUNK_BYTES = 1 << 24  # rows written, read (from a pipe) and checked this many bytes at a time


@dataclass
class FastTextModel:
    """The contents of a fastText ``.bin`` for word vectors, with fastText's defaults.

    ``input`` holds ``len(words) + bucket`` rows of ``dim`` (the word rows in
    ``words``' order, then the n-gram buckets); ``output`` holds the output
    layer as the file has it (one row per word for ns, hs and softmax).
    ``counts`` are int64, one per word; ``ntokens`` is the dictionary's token count.
    """

    words: list[str]
    counts: np.ndarray
    input: np.ndarray
    output: np.ndarray
    dim: int = 100
    ws: int = 5
    epoch: int = 5
    min_count: int = 5
    neg: int = 5
    word_ngrams: int = 1
    loss: str = "ns"
    model: str = "sg"
    bucket: int = 0
    minn: int = 0
    maxn: int = 0
    lr_update_rate: int = 100
    t: float = 1e-4
    ntokens: int = 0


# ---------------------------------------------------------------- writing
def save_fasttext_bin(path: str | os.PathLike, model: FastTextModel) -> None:
    """Write ``model`` to ``path`` in fastText's ``.bin`` format (version 12), atomically.

    An inconsistent model (shapes, enum names, counts) raises ValueError; a word
    the format cannot hold (empty, or with a NUL byte), non-finite values, or a
    path that cannot be written raise FastW2VError.
    """
    words = [_encode_word(w, i, path) for i, w in enumerate(model.words)]
    counts = np.asarray(model.counts)
    V = len(words)
    if counts.shape != (V,) or not np.issubdtype(counts.dtype, np.integer):
        raise ValueError(f"counts must be {V} integers, got shape {counts.shape} of {counts.dtype}")
    if model.loss not in LOSSES or model.model not in MODELS:
        raise ValueError(f"loss must be one of {sorted(LOSSES)} and model one of {sorted(MODELS)}")
    if model.model == "sup":
        raise ValueError("supervised models are not written: fastw2v writes word vectors")
    dim, bucket = int(model.dim), int(model.bucket)
    if dim < 1 or bucket < 0:
        raise ValueError(f"dim must be positive and bucket non-negative (dim {dim}, bucket {bucket})")
    if model.input.ndim != 2 or model.input.shape != (V + bucket, dim):
        raise ValueError(f"input must have shape {(V + bucket, dim)}, got {model.input.shape}")
    if model.output.ndim != 2 or model.output.shape[1] != dim:
        raise ValueError(f"output must have {dim} columns, got shape {model.output.shape}")
    for name, a in (("input", model.input), ("output", model.output)):
        if not _all_finite(a):
            raise FastW2VError(f"cannot save {path}: the {name} matrix holds NaN or infinite values")
    if len(set(model.words)) != V:
        raise ValueError("words must be distinct")

    head = bytearray(struct.pack("<ii", MAGIC, VERSION))
    head += _ARGS.pack(dim, int(model.ws), int(model.epoch), int(model.min_count), int(model.neg),
                       int(model.word_ngrams), LOSSES[model.loss], MODELS[model.model], bucket,
                       int(model.minn), int(model.maxn), int(model.lr_update_rate), float(model.t))
    head += _DICT_HEAD.pack(V, V, 0, int(model.ntokens), -1)  # -1: not pruned (fastText's own value)
    with atomic_write(path, "wb") as f:
        f.write(head)
        entries = bytearray()
        for w, c in zip(words, counts.tolist()):
            entries += w
            entries += b"\0"
            entries += _ENTRY_TAIL.pack(c, 0)
            if len(entries) >= _CHUNK_BYTES:
                f.write(entries)
                entries.clear()
        f.write(entries)
        for a in (model.input, model.output):
            f.write(b"\0")  # quant_input, then qout: not quantized
            f.write(_MATRIX_HEAD.pack(*a.shape))
            _write_matrix(f, a)


def _encode_word(word: str, i: int, path) -> bytes:
    b = word.encode("utf-8", "surrogatepass")
    if not b or b"\0" in b:
        raise FastW2VError(f"cannot save {path}: word {i + 1} ({word!r}) is empty or holds a NUL byte, "
                           "which fastText's format cannot store")
    return b


def _write_matrix(f, a: np.ndarray) -> None:
    """Write ``a``'s rows as little-endian float32, a block of rows at a time: a strided
    view (fastw2v's padded layers) is copied one block at a time, never whole."""
    rows = max(1, _CHUNK_BYTES // max(1, a.shape[1] * 4))
    for start in range(0, a.shape[0], rows):
        block = np.ascontiguousarray(a[start:start + rows], dtype="<f4")
        f.write(memoryview(block).cast("B"))


def _all_finite(a: np.ndarray) -> bool:
    rows = max(1, _CHUNK_BYTES // max(1, a.shape[1] * 4)) if a.ndim == 2 else max(1, a.shape[0])
    return all(np.isfinite(a[s:s + rows]).all() for s in range(0, a.shape[0], rows))


# ---------------------------------------------------------------- reading
def load_fasttext_bin(path: str | os.PathLike) -> FastTextModel:
    """Read a fastText ``.bin`` word-vector model (written by fastw2v, fastText or gensim).

    Any problem (not a fastText file, a version or kind of model fastw2v does not
    read, damage) raises FastW2VError with one line naming ``path``.
    """
    name = str(path)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise FastW2VError(f"{name}: a directory, not a fastText model")
            size = st.st_size if stat.S_ISREG(st.st_mode) else None
            return _Reader(f, name, size).model()
    except OSError as exc:
        raise FastW2VError(f"cannot read {name}: {exc.strerror or exc}") from None


class _Reader:
    """Reads the format from a binary file object, checking each field as it comes."""

    def __init__(self, f, name: str, size: int | None):
        self.f, self.name, self.size = f, name, size
        self.buf = b""  # read ahead (the dictionary is read in blocks); buf[off:] is not yet consumed
        self.off = 0
        self.pos = 0  # file offset of buf[0]

    # -- low level
    def fail(self, what: str) -> FastW2VError:
        return FastW2VError(f"{self.name}: {what}")

    def remaining(self) -> int | None:
        return None if self.size is None else self.size - self.pos

    def _fill(self, n: int) -> bool:
        """Make the buffer hold at least n unread bytes if the file has them; whether it does."""
        if len(self.buf) - self.off >= n:
            return True
        parts = [self.buf[self.off:]]
        have = len(parts[0])
        while have < n:
            more = self.f.read(max(n - have, 1 << 16))
            if not more:
                break
            parts.append(more)
            have += len(more)
        self.buf, self.off = b"".join(parts), 0
        return have >= n

    def take(self, n: int, what: str) -> bytes:
        if not self._fill(n):
            raise self.fail(f"truncated: {what} needs {n} bytes, {len(self.buf) - self.off} remain")
        out = self.buf[self.off:self.off + n]
        self.off += n
        self.pos += n
        return out

    def unpack(self, s: struct.Struct, what: str) -> tuple:
        return s.unpack(self.take(s.size, what))

    # -- the format
    def model(self) -> FastTextModel:
        if not self._fill(8):
            if not self.buf:
                raise self.fail("not a fastText model (empty file)")
            raise self.fail(f"not a fastText model (only {len(self.buf)} bytes)")
        magic, version = struct.unpack("<ii", self.take(8, "the header"))
        if magic != MAGIC:
            raise self.fail("not a fastText model (bad magic number)")
        if version not in READ_VERSIONS:
            raise self.fail(f"fastText format version {version}; fastw2v reads versions 11 and 12")
        args = self.args()
        words, counts, ntokens = self.dictionary(args)
        V = len(words)
        input_ = self.matrix("the input matrix", "quant_input")
        if input_.shape != (V + args["bucket"], args["dim"]):
            raise self.fail(f"the input matrix is {input_.shape[0]} x {input_.shape[1]}; {V} words and "
                            f"{args['bucket']} buckets of dimension {args['dim']} need "
                            f"{V + args['bucket']} x {args['dim']}")
        output = self.matrix("the output matrix", "qout")
        if output.shape[1] != args["dim"]:
            raise self.fail(f"the output matrix has {output.shape[1]} columns; the model's dimension "
                            f"is {args['dim']}")
        if self._fill(1):
            extra = self.size - self.pos if self.size is not None else "some"
            raise self.fail(f"{extra} trailing bytes after the output matrix (a damaged file?)")
        return FastTextModel(words=words, counts=counts, input=input_, output=output, ntokens=ntokens, **args)

    def args(self) -> dict:
        (dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, lr_update_rate,
         t) = self.unpack(_ARGS, "the model's options")
        if model not in _MODEL_NAMES:
            raise self.fail(f"bad model type {model} (fastText knows 1 cbow, 2 sg, 3 sup)")
        if model == MODELS["sup"]:
            raise self.fail("a supervised fastText model (a classifier); fastw2v reads word-vector "
                            "models (cbow or skipgram)")
        if loss not in _LOSS_NAMES:
            raise self.fail(f"bad loss {loss} (fastText knows 1 hs, 2 ns, 3 softmax, 4 ova)")
        for field, value in (("dim", dim), ("ws", ws), ("epoch", epoch), ("minCount", min_count),
                             ("neg", neg), ("wordNgrams", word_ngrams), ("bucket", bucket), ("minn", minn),
                             ("maxn", maxn), ("lrUpdateRate", lr_update_rate)):
            if value < 0 or (field == "dim" and value == 0):
                raise self.fail(f"bad option {field} {value} in the header")
        if not np.isfinite(t) or t < 0:
            raise self.fail(f"bad option t {t} in the header")
        if maxn > 0 and bucket == 0:
            raise self.fail(f"character n-grams (maxn {maxn}) but no buckets (bucket 0)")
        return {"dim": dim, "ws": ws, "epoch": epoch, "min_count": min_count, "neg": neg,
                "word_ngrams": word_ngrams, "loss": _LOSS_NAMES[loss], "model": _MODEL_NAMES[model],
                "bucket": bucket, "minn": minn, "maxn": maxn, "lr_update_rate": lr_update_rate, "t": float(t)}

    def dictionary(self, args: dict) -> tuple[list[str], np.ndarray, int]:
        size, nwords, nlabels, ntokens, prune_size = self.unpack(_DICT_HEAD, "the dictionary's header")
        if nlabels != 0:
            raise self.fail(f"the dictionary holds {nlabels} labels (a supervised model?); fastw2v reads "
                            "word-vector models")
        if size < 0 or nwords != size:
            raise self.fail(f"bad dictionary sizes ({size} entries, {nwords} words)")
        if ntokens < 0 or prune_size < -1:
            raise self.fail(f"bad dictionary header (ntokens {ntokens}, pruneidx_size {prune_size})")
        left = self.remaining()
        if left is not None and size * _MIN_ENTRY_BYTES > left:
            raise self.fail(f"truncated: {size} dictionary entries need at least {size * _MIN_ENTRY_BYTES} "
                            f"bytes, {left} remain")
        words: list[str] = []
        counts = np.empty(size, dtype=np.int64)
        seen: dict[str, int] = {}
        for i in range(size):
            word = self._word(i)
            count, kind = self.unpack(_ENTRY_TAIL, f"dictionary entry {i + 1}")
            if kind != 0:
                raise self.fail(f"dictionary entry {i + 1} is a label (type {kind}), not a word; fastw2v "
                                "reads word-vector models")
            if count < 0:
                raise self.fail(f"word {i + 1} ({word!r}) has a negative count ({count})")
            if word in seen:
                raise self.fail(f"duplicate word {word!r} (entries {seen[word] + 1} and {i + 1}; words that "
                                "are not valid UTF-8 are read with U+FFFD replacement)")
            seen[word] = i
            words.append(word)
            counts[i] = count
        if prune_size >= 0:  # a pruned dictionary (only quantized models have one): skipped
            n, left = 8 * prune_size, self.remaining()
            if left is not None and n > left:
                raise self.fail(f"truncated: the dictionary's pruning index needs {n} bytes, {left} remain")
            self.take(n, "the dictionary's pruning index")
        return words, counts, int(ntokens)

    def _word(self, i: int) -> str:
        scanned = 0  # bytes after off known to hold no NUL (_fill may move the buffer; off stays valid)
        while (end := self.buf.find(b"\0", self.off + scanned)) < 0:
            scanned = len(self.buf) - self.off
            if scanned > (1 << 20):
                raise self.fail(f"dictionary entry {i + 1} is not a word (no end within 1 MiB)")
            if not self._fill(scanned + 1):
                raise self.fail(f"truncated: dictionary entry {i + 1} has no end")
        raw = self.take(end - self.off + 1, "a word")[:-1]
        if not raw:
            raise self.fail(f"dictionary entry {i + 1} is an empty word")
        return raw.decode("utf-8", "replace")

    def matrix(self, what: str, flag_name: str) -> np.ndarray:
        (flag,) = self.take(1, f"the {flag_name} flag")
        if flag not in (0, 1):
            raise self.fail(f"bad {flag_name} flag {flag} before {what}")
        if flag and flag_name == "quant_input":
            raise self.fail("a quantized model: quantized .ftz models are not supported")
        m, n = self.unpack(_MATRIX_HEAD, f"{what}'s header")
        if m < 0 or n < 0:
            raise self.fail(f"{what} has a negative size ({m} x {n})")
        nbytes = m * n * 4
        left = self.remaining()
        if left is not None and nbytes > left:
            raise self.fail(f"truncated: {what} needs {nbytes} bytes, {left} remain")
        a = self._floats(m, n, nbytes, what)
        if not _all_finite(a):
            raise self.fail(f"{what} holds NaN or infinite values")
        return a

    def _floats(self, m: int, n: int, nbytes: int, what: str) -> np.ndarray:
        if self.size is None:  # a pipe: never allocate more than what has arrived
            parts, got = [], 0
            while got < nbytes:
                if not self._fill(1):
                    raise self.fail(f"truncated: {what} needs {nbytes} bytes, {got} remain")
                part = self.take(min(len(self.buf) - self.off, nbytes - got), what)
                parts.append(part)
                got += len(part)
            raw = np.frombuffer(b"".join(parts), dtype="<f4")
            return raw.astype(np.float32).reshape(m, n)
        a = np.empty((m, n), dtype="<f4")
        view = memoryview(a).cast("B")
        done = min(len(self.buf) - self.off, nbytes)
        view[:done] = self.buf[self.off:self.off + done]
        self.buf, self.off = self.buf[self.off + done:], 0
        while done < nbytes:
            got = self.f.readinto(view[done:done + (1 << 30)])
            if not got:
                raise self.fail(f"truncated: {what} needs {nbytes} bytes, {done} remain")
            done += got
        self.pos += nbytes
        return a if sys.byteorder == "little" else a.astype(np.float32)


def ft_hash(word: bytes) -> int:
    """fastText's ``Dictionary::hash`` of ``word``: 32-bit FNV-1a over its bytes, each
    byte sign-extended (as a signed char) before the xor."""
    h = 2166136261
    for b in word:
        h ^= (b - 256 if b >= 128 else b) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


__all__ = ["FastTextModel", "ft_hash", "load_fasttext_bin", "save_fasttext_bin"]
