"""Not starting from zero: training a saved model further, or from pretrained vectors.

Continuing a model (``fastw2v train NEW.txt --continue MODEL``, ``train(corpus,
init=model)``) on new text:

* the new text is counted in full (every word, whatever its count); the words of
  the model stay, and a new word joins when it reaches ``min_count`` in the new
  text (unless the vocabulary is fixed: ``vocab_update=False``);
* counts are added, and the vocabulary is put in order again (most frequent
  first), so the sampling tables (subsampling, noise words, the Huffman tree)
  come from the merged counts;
* a word of the model keeps its rows (input and output, and its NCE bias); a new
  word starts as a fresh one would (input uniform in +-0.5/dim, output zero);
* the options are the model's unless given; the dimension and the loss cannot
  change. The learning rate restarts from ``alpha`` (the model's, unless given)
  and decays over the new run, as a first run's does.

With hierarchical softmax the output layer is the Huffman tree's inner nodes. The
tree of the merged counts is another tree as soon as a count moves a word past
another: then the inner node vectors mean nothing any more, and they restart
from zero (the input vectors are kept), with a note on the run's output.

Starting from pretrained vectors (``--init-vectors FILE``): the rows of words that
are in both vocabularies start from the file's vectors; the others start fresh.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..engine.huffman import build_huffman
from ..engine.losses import output_rows
from ..errors import FastW2VError, OptionError
from ..text import wordtable as wt
from ..text.corpus import EncodedCorpus
from ..text.vocab import Vocabulary
from .model import Word2VecModel, initial_vectors, input_rows
from .options import TrainOptions

FIXED = ("dim", "loss", "minn", "maxn", "bucket")  # options a continued model cannot change


def continued_options(saved: TrainOptions, given: dict) -> TrainOptions:
    """The options of a run continuing a model saved with ``saved``: the given ones,
    the model's for the rest (threads excepted: this machine's). Changing a fixed
    option is an :class:`OptionError`. ``None`` (as for ``alpha=None``) means the
    model's value, and naming the model's own rule again keeps its learning rates."""
    given = {name: value for name, value in given.items() if value is not None}
    for name in FIXED:
        if name in given and given[name] != getattr(saved, name):
            raise OptionError(name, f"cannot change when continuing a model: it has "
                                    f"{getattr(saved, name)!r}, {given[name]!r} was given")
    base = dataclasses.asdict(saved)
    base["threads"] = None
    if "alpha" in given and "min_alpha" not in given:  # the final rate follows a new alpha
        base["min_alpha"] = None
    if given.get("model", saved.model) != saved.model and "alpha" not in given:  # a new rule's default
        base["alpha"] = base["min_alpha"] = None
    return TrainOptions(**{**base, **given}).resolved()


def merged_vocabulary(old: Vocabulary, counted: Vocabulary, min_count: int, update: bool = True) -> Vocabulary:
    """The model's words with the new text's counts added, and (``update``) the new words
    that reach ``min_count`` in the new text, most frequent first."""
    counts = dict(zip(old.words, old.counts.tolist()))
    for word, count in zip(counted.words, counted.counts.tolist()):
        if word in counts:
            counts[word] += count
        elif update and count >= min_count:
            counts[word] = count
    return Vocabulary.from_counts(counts, 1)


def reencoded(encoded: EncodedCorpus, counted: Vocabulary, vocab: Vocabulary) -> EncodedCorpus:
    """``encoded`` (ids of ``counted``) with the ids of ``vocab``; words not in it are dropped,
    and so are sentences left empty, exactly as encoding against ``vocab`` would."""
    index = vocab.index
    remap = np.array([index.get(w, -1) for w in counted.words], dtype=np.int32)
    tokens = np.empty(encoded.n_words, dtype=np.int32)
    ends = np.empty(encoded.n_sentences, dtype=np.int64)
    n, n_ends = wt.compact(np.asarray(encoded.tokens), np.asarray(encoded.sentence_ends), remap, tokens, ends)
    encoded.close()
    if n == 0:
        raise FastW2VError("no word of the model's vocabulary occurs in the new text "
                           "(and no new word reaches {min_count})", fields=("min_count",))
    return EncodedCorpus(tokens[:n].copy(), ends[:n_ends].copy())


@dataclasses.dataclass
class Start:
    """The matrices a continued run starts from, and what was kept."""

    syn0: np.ndarray
    syn1: np.ndarray
    biases: np.ndarray | None
    kept_words: int
    new_words: int
    output_kept: bool  # False: hs whose tree changed, its inner nodes restart from zero


def continued_start(model: Word2VecModel, vocab: Vocabulary, opts: TrainOptions) -> Start:
    """Rows for ``vocab`` (a merged vocabulary): the model's where the word is the model's,
    fresh ones elsewhere."""
    V = len(vocab)
    syn0, syn1 = initial_vectors(input_rows(opts, V), opts.dim, opts.seed, output_rows(opts.loss, V),
                                 threads=opts.threads)
    old_index = model.vocab.index
    old_ids = np.array([old_index.get(w, -1) for w in vocab.words], dtype=np.int64)
    known = np.flatnonzero(old_ids >= 0)
    syn0[known] = model.syn0[old_ids[known]]
    if opts.subwords:  # the n-gram buckets are shared by all words, old and new: kept whole
        syn0[V:] = model.syn0[len(model.vocab):]
    biases = np.zeros(V, dtype=np.float32) if opts.loss == "nce" else None
    output_kept = True
    if opts.loss == "hs":
        output_kept = V == len(model.vocab) and vocab.words == model.vocab.words and _same_tree(
            model.vocab.counts, vocab.counts)
        if output_kept:
            syn1[:] = model.syn1
    else:
        syn1[known] = model.syn1[old_ids[known]]
        if biases is not None and model.biases is not None:
            biases[known] = model.biases[old_ids[known]]
    return Start(syn0, syn1, biases, int(known.shape[0]), V - int(known.shape[0]), output_kept)


def _same_tree(a: np.ndarray, b: np.ndarray) -> bool:
    ta, tb = build_huffman(a), build_huffman(b)
    return all(np.array_equal(x, y) for x, y in ((ta.codes, tb.codes), (ta.points, tb.points),
                                                   (ta.lengths, tb.lengths)))


def check_pretrained(vectors: np.ndarray, dim: int, source: str) -> None:
    """Refuse pretrained vectors of another dimension, or holding NaN or inf: checked as
    soon as the file is read, before the corpus is."""
    if vectors.shape[1] != dim:
        raise FastW2VError(f"{source} holds vectors of {vectors.shape[1]} dimensions and the model "
                           f"has {dim}: give {{dim}} {vectors.shape[1]} or vectors of {dim}", fields=("dim",))
    if not np.all(np.isfinite(vectors)):
        raise FastW2VError(f"{source} holds NaN or infinite values")


def place_vectors(syn0: np.ndarray, dim: int, vocab: Vocabulary, words: list[str], vectors: np.ndarray) -> int:
    """Start the rows of ``vocab``'s words found in ``words`` from ``vectors`` (already
    checked by :func:`check_pretrained`; the first occurrence of a word counts, as gensim
    reads such files); return how many matched."""
    index = vocab.index
    rows, sources, seen = [], [], set()
    for i, w in enumerate(words):
        j = index.get(w)
        if j is not None and j not in seen:
            seen.add(j)
            rows.append(j)
            sources.append(i)
    if rows:
        syn0[rows, :dim] = vectors[sources]
    return len(rows)
