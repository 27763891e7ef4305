"""Checkpoints: the whole training state in one file, written atomically.

A checkpoint is a NumPy ``.npz`` archive (uncompressed, no pickles) holding
the vocabulary, both matrices (and the NCE biases), which chunks of the epoch under way are done,
and a JSON header with the options, the position (epoch, words done, loss so
far), the time spent and facts about the run (the corpus files, the output).
Random states need no saving: each chunk's generator is seeded from (seed,
epoch, chunk) and the learning rate follows the corpus position, so training
from a checkpoint continues exactly; with one thread the vectors come out
bit-identical to an uninterrupted run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tokenize
import zipfile
from dataclasses import asdict

import numpy as np

from ..engine import kernels
from ..engine.losses import output_rows
from ..errors import FastW2VError
from ..files import atomic_write
from ..text.vocab import Vocabulary
from .model import (
    DIVERGED_LIMIT,
    TrainState,
    TrainStats,
    Word2VecModel,
    aligned_zeros,
    input_rows,
)
from .options import TrainOptions

FORMAT = "fastw2v-checkpoint"
VERSION = 1


def save_checkpoint(path, model: Word2VecModel, state: TrainState, info: dict | None = None) -> None:
    """Write ``model`` and ``state`` to ``path`` (atomically: all or nothing)."""
    header = {
        "format": FORMAT, "version": VERSION, "options": asdict(model.options),
        "state": {"epoch": state.epoch, "words_done": state.words_done,
                  "epoch_words": state.epoch_words, "epoch_loss": state.epoch_loss,
                  "train_seconds": state.train_seconds, "epoch_losses": state.epoch_losses},
        "stats": {"words_per_epoch": model.stats.words_per_epoch,
                  "prepare_seconds": model.stats.prepare_seconds},
        "info": info or {},
    }
    words = "\n".join(model.vocab.words).encode("utf-8", "surrogatepass")
    arrays = {
        "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        "words": np.frombuffer(words, dtype=np.uint8),
        "counts": model.vocab.counts,
        "syn0": model.input_rows,  # with subwords: the word rows, then the n-gram buckets
        "syn1": model.output_vectors,  # hs: the V - 1 inner nodes
        "biases": model.biases if model.biases is not None else np.zeros(0, np.float32),  # nce
        "chunk_done": state.chunk_done if state.chunk_done is not None else np.zeros(0, np.uint8),
    }
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def read_info(path) -> dict:
    """The run facts saved with a checkpoint (corpus files, output settings), read alone."""
    return _read_header(path)["info"]


def read_header(path) -> dict:
    """A checkpoint's header alone, checked: options, state, stats and run facts."""
    return _read_header(path)


# The members of a checkpoint: dtype and number of dimensions. Nothing else is read.
_MEMBERS = {"header": ("u1", 1), "words": ("u1", 1), "counts": ("<i8", 1), "syn0": ("<f4", 2),
            "syn1": ("<f4", 2), "biases": ("<f4", 1), "chunk_done": ("u1", 1)}
HEADER_MAX_BYTES = 64 << 20
MAX_COUNT = 10 ** 15  # as text.vocab: counts below this keep every sum inside int64
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]")  # the tokenizer's: what ends a word
MAX_WORDS = 2 ** 62  # words done: beyond this, int64 sums and the progress arithmetic overflow


class _Bad(Exception):
    """What is wrong with a checkpoint (its message ends up in a FastW2VError)."""


def _read_members(path, names) -> dict[str, np.ndarray]:
    """The named arrays of the .npz at ``path``, each header checked (dtype, dimensions,
    size against the archive member) before any data is read; CRCs are checked too."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for name in names:
            dtype, ndim = _MEMBERS[name]
            try:
                info = z.getinfo(f"{name}.npy")
            except KeyError:
                raise _Bad(f"it has no {name} array") from None
            with z.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version not in ((1, 0), (2, 0)):
                    raise _Bad(f"its {name} array has an unknown format version {version}")
                try:
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                                   np.lib.format.read_array_header_2_0)
                    shape, fortran, found = read_header(f)
                except (ValueError, TypeError, SyntaxError, tokenize.TokenError) as exc:
                    # numpy parses the header with ast (and tokenize): any of these for garbage
                    reason = " ".join(str(exc).split())[:200]
                    raise _Bad(f"its {name} array has a malformed header ({reason})") from None
                if found != np.dtype(dtype) or len(shape) != ndim or fortran:
                    raise _Bad(f"its {name} array is {found} with shape {shape}, not {ndim}-D "
                               f"{np.dtype(dtype)}")
                nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
                if nbytes != info.file_size - f.tell():
                    raise _Bad(f"its {name} array does not fill its member ({nbytes} bytes of "
                               f"{info.file_size - f.tell()})")
                if name == "header" and nbytes > HEADER_MAX_BYTES:
                    raise _Bad("its header is implausibly large")
                data = f.read(nbytes)
                if f.read(1):
                    raise _Bad(f"its {name} array is followed by extra bytes")
            out[name] = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    return out


def _opened(path, names):
    """:func:`_read_members`, with every failure as one FastW2VError line."""
    try:
        return _read_members(path, names)
    except FileNotFoundError:
        raise FastW2VError(f"checkpoint not found: {path}") from None
    except IsADirectoryError:
        raise FastW2VError(f"cannot read checkpoint {path}: it is a directory") from None
    except _Bad as exc:
        raise FastW2VError(f"cannot read checkpoint {path}: {exc}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile,
            NotImplementedError, RuntimeError) as exc:
        # a damaged archive: bad CRC, truncated member, unknown compression, ...
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise FastW2VError(f"cannot read checkpoint {path}: {' '.join(reason.split())[:200]}") from None


def _read_header(path) -> dict:
    raw = _opened(path, ["header"])["header"]
    try:
        header = json.loads(raw.tobytes())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise FastW2VError(f"cannot read checkpoint {path}: its header is not JSON") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise FastW2VError(f"cannot read checkpoint {path}: not a fastw2v checkpoint")
    if header.get("version") != VERSION:
        raise FastW2VError(f"cannot read checkpoint {path}: version {header.get('version')} "
                           "is not supported")
    try:
        _check_header(header)
    except _Bad as exc:
        raise FastW2VError(f"cannot read checkpoint {path}: {exc}") from None
    return header


def _is_int(x, low=0) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= low


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_header(header: dict) -> None:
    """The header's fields have the types and ranges training assumes."""
    for part in ("options", "state", "stats", "info"):
        if not isinstance(header.get(part), dict):
            raise _Bad(f"its header has no {part}")
    options = _options(header["options"])
    state, stats, info = header["state"], header["stats"], header["info"]
    if not _is_int(state.get("epoch")) or state["epoch"] > options.epochs:
        raise _Bad(f"its epoch is not one of 0..{options.epochs}")
    for name in ("words_done", "epoch_words"):
        if not _is_int(state.get(name)) or state[name] > MAX_WORDS:
            raise _Bad(f"its {name} is not a count")
    for name in ("epoch_loss", "train_seconds"):
        if not _is_number(state.get(name)) or not math.isfinite(state[name]) or state[name] < 0:
            raise _Bad(f"its {name} is not a finite number >= 0")
    losses = state.get("epoch_losses")
    if not isinstance(losses, list) or len(losses) > state["epoch"] or \
            not all(_is_number(x) for x in losses):
        raise _Bad("its epoch_losses are not one number per finished epoch")
    if not _is_int(stats.get("words_per_epoch")) or stats["words_per_epoch"] > MAX_WORDS or \
            not _is_number(stats.get("prepare_seconds")):
        raise _Bad("its stats are not counts")
    corpus = info.get("corpus", [])
    if not isinstance(corpus, list) or not all(
            isinstance(f, dict) and isinstance(f.get("path"), str) and "\0" not in f["path"] and (
                _is_int(f.get("size")) and _is_int(f.get("mtime_ns")) or  # a file
                isinstance(f.get("stream"), str) and re.fullmatch("[0-9a-f]{32}", f["stream"]))  # a stream
            for f in corpus):
        raise _Bad("its corpus files are not a list of path, size and mtime_ns (or stream name)")
    cache = info.get("cache")
    if cache is not None and not (isinstance(cache, dict) and isinstance(cache.get("dir"), str)
                                  and isinstance(cache.get("temporary"), bool)):
        raise _Bad("its cache is not a directory and a temporary flag")


def _options(saved: dict) -> TrainOptions:
    """The saved options, each of its declared type, validated as a run's would be."""
    fields = {f.name: f for f in dataclasses.fields(TrainOptions)}
    for name, value in saved.items():
        if name not in fields:
            raise _Bad(f"its options have an unknown field {name!r}")
        kind = fields[name].type
        ok = (value is None and "None" in kind) or (
            _is_int(value, -2**62) if kind.startswith("int") else
            _is_number(value) if kind.startswith("float") else
            isinstance(value, str) if kind.startswith("str") else False)
        if not ok:
            raise _Bad(f"its option {name} is {value!r}, not a {kind}")
    try:
        options = TrainOptions(**saved).resolved()
    except FastW2VError as exc:
        raise _Bad(f"its options are invalid: {exc}") from None
    return options


def load_checkpoint(path) -> tuple[Word2VecModel, TrainState, dict]:
    """Read a checkpoint: the model as it was, the training state, and the run facts.

    Nothing is trusted: the header's fields, every array's dtype and shape, the
    vocabulary (distinct, non-empty words with counts from 1 to 10^15), finite
    vectors within the numerics guard's limit, and chunk flags of 0 or 1 are all
    checked; a checkpoint that fails is one FastW2VError line naming the problem.
    """
    header = _read_header(path)
    arrays = _opened(path, [n for n in _MEMBERS if n != "header"])
    try:
        model, state = _restore(header, arrays)
    except _Bad as exc:
        raise FastW2VError(f"cannot read checkpoint {path}: {exc}") from None
    return model, state, header["info"]


def _restore(header: dict, a: dict[str, np.ndarray]) -> tuple[Word2VecModel, TrainState]:
    options = _options(header["options"])  # resolved: no None left for the kernel
    try:
        words = a["words"].tobytes().decode("utf-8", "surrogatepass").split("\n")
    except UnicodeDecodeError:
        raise _Bad("its words are not UTF-8") from None
    counts, syn0, syn1, biases, chunk_done = (a[n] for n in ("counts", "syn0", "syn1", "biases",
                                                              "chunk_done"))
    n, dim = len(words), syn0.shape[1]
    if n < 1 or counts.shape[0] != n or syn0.shape[0] != input_rows(options, n):
        raise _Bad(f"it has {len(words)} words, {counts.shape[0]} counts and {syn0.shape[0]} input rows")
    if dim != options.dim or syn1.shape != (output_rows(options.loss, n), dim):
        raise _Bad(f"its vectors have shapes {syn0.shape} and {syn1.shape}, not those of "
                   f"{n} words of dimension {options.dim} with loss {options.loss}")
    if biases.shape != ((n,) if options.loss == "nce" else (0,)):
        raise _Bad(f"its biases have shape {biases.shape}")
    if not all(words) or len(set(words)) != n:
        raise _Bad("its vocabulary has an empty or repeated word")
    if any(_WHITESPACE.search(w) for w in words):  # no corpus token holds it; the output would break
        raise _Bad("its vocabulary has a word holding whitespace")
    if not (counts >= 1).all() or not (counts < MAX_COUNT).all():
        raise _Bad("its vocabulary has a count outside 1..10^15")
    for name, matrix in (("input vectors", syn0), ("output vectors", syn1), ("biases", biases)):
        if not kernels.all_within(matrix, DIVERGED_LIMIT):
            raise _Bad(f"its {name} hold NaN, infinite or huge values (beyond {DIVERGED_LIMIT:g})")
    if not (chunk_done <= 1).all():
        raise _Bad("its chunk flags are not 0 or 1")
    in_padded, out_padded = aligned_zeros(syn0.shape[0], dim), aligned_zeros(syn1.shape[0], dim)
    in_padded[:, :dim] = syn0
    out_padded[:, :dim] = syn1
    s = header["state"]
    state = TrainState(epoch=s["epoch"], chunk_done=chunk_done, words_done=s["words_done"],
                       epoch_words=s["epoch_words"], epoch_loss=s["epoch_loss"],
                       train_seconds=s["train_seconds"], epoch_losses=list(s["epoch_losses"]))
    stats = TrainStats(words_per_epoch=header["stats"]["words_per_epoch"],
                       prepare_seconds=header["stats"]["prepare_seconds"])
    model = Word2VecModel(Vocabulary(words, counts), in_padded, out_padded, options, stats,
                          biases=biases if options.loss == "nce" else None)
    return model, state
