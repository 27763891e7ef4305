"""The full-model file: everything training needs to go on, in fastText's ``.bin``.

``-o`` writes word vectors; ``--save-model FILE`` writes the model: the vocabulary
with its counts, the input layer, the output layer and the options, in fastText's
binary format (:mod:`fastw2v.vectors.fasttext_bin`), so that the ``fasttext``
package and gensim (``load_facebook_model``) load it as it is. A plain word2vec
model is a fastText model without subwords (``maxn 0``, ``bucket 0``).

What fastText's format cannot hold goes to a side file, ``FILE.fastw2v.json``:
the options it has no field for (the learning rates, the seed, ``ns_exponent``,
the update rule, ``max_sentence_length``), the NCE loss and its biases (the
``.bin`` says ``ns``: its output layer is one vector per word, as for NCE), and
the words and dimensions it was written with, which must match the ``.bin``.
Without the side file (a model from fastText or gensim), the options come
from the ``.bin``'s fields and fastw2v's defaults for the rest.

Layouts: for ``ns`` and ``nce`` the output matrix is one row per word; for ``hs``
fastw2v keeps the V - 1 inner nodes of its Huffman tree and the file holds V rows
(fastText's layout for ``hs``), the last one zero.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import numpy as np

from ..errors import FastW2VError
from ..files import atomic_write, companion_path
from ..text.vocab import Vocabulary
from ..vectors.fasttext_bin import FastTextModel, load_fasttext_bin, save_fasttext_bin
from .options import TrainOptions

SIDE_SUFFIX = ".fastw2v.json"
SIDE_FORMAT = "fastw2v-model"
SIDE_VERSION = 1
SIDE_MAX_BYTES = 1 << 30


def side_path(path: str | os.PathLike) -> Path | None:
    """Where the side file of the model file ``path`` goes (None beside a device or pipe)."""
    return companion_path(path, SIDE_SUFFIX)


@dataclasses.dataclass
class ModelParts:
    """What a model file holds, unpadded: the vocabulary (most frequent first), the
    input rows (V words, then with subwords the n-gram buckets), the output layer
    (V rows; V - 1 inner nodes for hs),
    the options and NCE's biases (None for the other losses)."""

    vocab: Vocabulary
    input: np.ndarray
    output: np.ndarray
    options: TrainOptions
    biases: np.ndarray | None


def write_model(path: str | os.PathLike, parts: ModelParts) -> Path | None:
    """Write ``parts`` to ``path`` (fastText ``.bin``) and its side file; return the side file's path."""
    opts, vocab = parts.options, parts.vocab
    output = parts.output
    if opts.loss == "hs":  # V - 1 inner nodes; fastText's hs layout has V rows
        output = np.vstack([output, np.zeros((1, opts.dim), dtype=np.float32)])
    save_fasttext_bin(path, FastTextModel(
        words=list(vocab.words), counts=np.asarray(vocab.counts, dtype=np.int64),
        input=parts.input, output=output, dim=opts.dim, ws=opts.window, epoch=opts.epochs,
        min_count=opts.min_count, neg=opts.negative, loss="hs" if opts.loss == "hs" else "ns",
        model=opts.model, bucket=opts.bucket if opts.subwords else 0, minn=opts.minn if opts.subwords else 0,
        maxn=opts.maxn, t=opts.sample, ntokens=vocab.total))
    side = side_path(path)
    if side is not None:
        facts = {"format": SIDE_FORMAT, "version": SIDE_VERSION, "words": len(vocab), "dim": opts.dim,
                 "options": dataclasses.asdict(opts),
                 "biases": None if parts.biases is None else [float(b) for b in parts.biases]}
        with atomic_write(side, "w") as f:
            json.dump(facts, f)
    return side


def read_model(path: str | os.PathLike) -> ModelParts:
    """What :func:`write_model` wrote, or a word-vector model fastText or gensim saved.

    A damaged or foreign file raises :class:`FastW2VError` with one line.
    """
    path = Path(path)
    ft = load_fasttext_bin(path)
    if ft.word_ngrams > 1:
        raise FastW2VError(f"{path}: a model with word n-grams (wordNgrams {ft.word_ngrams}); "
                           "fastw2v trains character n-grams only")
    if ft.model not in ("sg", "cbow") or ft.loss not in ("ns", "hs"):
        raise FastW2VError(f"{path}: a {ft.model} model with loss {ft.loss}; fastw2v continues "
                           "sg or cbow models with loss ns or hs")
    V = len(ft.words)
    if V < 1:
        raise FastW2VError(f"{path}: the model holds no words")
    side = _read_side(path, V, ft.dim)
    if side is not None:
        opts = _options(side["options"], path)
        if opts.dim != ft.dim or (opts.loss == "hs") != (ft.loss == "hs") or opts.maxn != ft.maxn or (
                opts.subwords and (opts.minn, opts.bucket) != (ft.minn, ft.bucket)):
            raise FastW2VError(f"{path}: its side file {side_path(path)} was written for another model "
                               "(dimensions or loss differ)")
    else:
        opts = TrainOptions(model=ft.model, dim=ft.dim, window=ft.ws, negative=ft.neg, min_count=ft.min_count,
                            epochs=ft.epoch, sample=float(ft.t), loss=ft.loss, minn=max(ft.minn, 1),
                            maxn=ft.maxn, bucket=ft.bucket if ft.maxn > 0 else TrainOptions.bucket)
        opts = _checked(opts, path)
    if ft.counts.min() < 1:
        raise FastW2VError(f"{path}: a word has count {int(ft.counts.min())}; every word needs a positive count")
    order = np.argsort(-ft.counts, kind="stable")  # fastw2v's vocabularies run most frequent first
    if not np.array_equal(order, np.arange(V)) and opts.loss == "hs":
        raise FastW2VError(f"{path}: an hs model whose words are not sorted by count; its inner "
                           "nodes cannot be matched to fastw2v's Huffman tree")
    vocab = Vocabulary([ft.words[i] for i in order.tolist()], ft.counts[order].astype(np.int64))
    rows = V - 1 if opts.loss == "hs" else V
    if ft.output.shape[0] < rows:
        raise FastW2VError(f"{path}: the output layer has {ft.output.shape[0]} rows for {V} words")
    biases = None
    if opts.loss == "nce":
        values = (side or {}).get("biases")
        if not isinstance(values, list) or len(values) != V or not all(
                isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) for b in values):
            raise FastW2VError(f"{path}: its side file's NCE biases are not {V} finite numbers")
        biases = np.asarray(values, dtype=np.float32)[order]
    # The word rows in the vocabulary's order, then the n-gram buckets (left out without
    # subwords: fastText keeps them, unused, when trained with maxn 0 and a bucket size).
    inputs = ft.input if opts.subwords else ft.input[:V]
    inputs[:V] = inputs[:V][order]  # (no copy of the buckets)
    return ModelParts(vocab, inputs, ft.output[:rows] if opts.loss == "hs" else ft.output[order],
                      opts, biases)


def _read_side(path: Path, V: int, dim: int) -> dict | None:
    side = side_path(path)
    if side is None or not side.exists():
        return None
    try:
        if side.stat().st_size > SIDE_MAX_BYTES:
            raise FastW2VError(f"{side}: implausibly large for a model's side file")
        facts = json.loads(side.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        raise FastW2VError(f"cannot read the model's side file {side}: "
                           f"{getattr(exc, 'strerror', None) or exc}".replace("\n", " ")) from None
    if not isinstance(facts, dict) or facts.get("format") != SIDE_FORMAT or facts.get("version") != SIDE_VERSION:
        raise FastW2VError(f"{side}: not a version-{SIDE_VERSION} fastw2v model side file")
    if facts.get("words") != V or facts.get("dim") != dim or not isinstance(facts.get("options"), dict):
        raise FastW2VError(f"{side}: written for another model ({facts.get('words')!r} words of "
                           f"{facts.get('dim')!r} dimensions; {path} has {V} of {dim})")
    return facts


def _options(saved: dict, path: Path) -> TrainOptions:
    names = {f.name for f in dataclasses.fields(TrainOptions)}
    unknown = sorted(set(saved) - names)
    if unknown:
        raise FastW2VError(f"{side_path(path)}: unknown option {unknown[0]!r}")
    try:
        return _checked(TrainOptions(**saved), path)
    except TypeError as exc:
        raise FastW2VError(f"{side_path(path)}: bad options ({exc})") from None


def _checked(opts: TrainOptions, path: Path) -> TrainOptions:
    try:
        return opts.resolved()
    except (FastW2VError, TypeError) as exc:
        raise FastW2VError(f"{path}: its options are not valid ({exc})") from None
