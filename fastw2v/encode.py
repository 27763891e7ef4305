"""From raw corpus to vocabulary and token ids, in one pass over the bytes.

:func:`scan_corpus` feeds the corpus blocks to the Numba tokenizer
(:mod:`fastw2v.wordtable`), which counts every word and writes its provisional id;
:func:`build_vocabulary` keeps the words that reach ``min_count`` in canonical
order; :func:`encode_corpus` maps provisional ids to vocabulary ids, dropping the
others. Only when ``max_vocab_size`` forced words out of the table mid-count
(which makes earlier provisional ids stale) is the corpus read a second time,
against the final vocabulary. The same second-pass path encodes a corpus against
a vocabulary read from a file (``--read-vocab``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import wordtable as wt
from .corpus import Corpus, EncodedCorpus
from .errors import FastW2VError
from .vocab import Vocabulary

ProgressFn = Callable[[int], None]  # called with bytes of input consumed so far


@dataclass
class ScanResult:
    table: wt.WordTable
    prov_ids: list[np.ndarray] | None  # provisional ids per block, None if stale after pruning
    prov_ends: list[np.ndarray]
    n_tokens: int
    pruned: bool


def scan_corpus(corpus: Corpus, *, max_sentence_length: int, max_vocab_size: int = 0,
                table: wt.WordTable | None = None, frozen: bool = False,
                progress: ProgressFn | None = None) -> ScanResult:
    """Tokenise the whole corpus once: count words and emit provisional ids."""
    table = table or wt.WordTable()
    ids_out: list[np.ndarray] | None = []
    ends_out: list[np.ndarray] = []
    min_reduce = 1
    pruned = False
    carry = b""
    out_ids = out_ends = None
    for block in corpus.blocks():
        data = carry + block.data if carry else block.data
        carry = b""
        buf = np.frombuffer(data, dtype=np.uint8)
        size = len(buf) // 2 + 1
        if out_ids is None or out_ids.shape[0] < size:
            out_ids = np.empty(size, dtype=np.int32)
            out_ends = np.empty(size, dtype=np.int64)
        # A word longer than 1 MiB is cut there rather than carried forever.
        final = block.end_of_file or len(buf) > 1 << 20 and not wt.WHITESPACE[buf].any()
        pos = 0
        while True:
            pos, n_ids, n_ends, status = wt.scan(
                buf, pos, final, table.slots, table.ent_hash, table.ent_off, table.ent_len,
                table.counts, table.arena, table.state, max_sentence_length, max_vocab_size,
                frozen, out_ids, out_ends, wt.WHITESPACE)
            if ids_out is not None:
                ids_out.append(out_ids[:n_ids].copy())
            ends_out.append(out_ends[:n_ends].copy())
            if status == wt.OK:
                break
            if status == wt.NEED_SPACE:
                table.grow(len(buf) - pos)
            else:  # NEED_PRUNE: provisional ids emitted so far go stale
                while table.n_words >= max_vocab_size:
                    table.prune(min_reduce)
                    min_reduce += 1
                pruned = True
                ids_out = None
        if pos < len(buf):
            carry = data[pos:]
        if block.end_of_file and table.state[wt.SENT_LEN] > 0:
            ends_out.append(np.array([table.state[wt.N_TOKENS]], dtype=np.int64))
            table.state[wt.SENT_LEN] = 0
        if progress is not None:
            progress(block.raw_done)
    return ScanResult(table, ids_out, ends_out, int(table.state[wt.N_TOKENS]), pruned)


def build_vocabulary(table: wt.WordTable, min_count: int) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary of a counted table, and ``remap``: table entry -> word id (or -1).

    Words are decoded from UTF-8 with replacement, so two byte strings that differ
    only in invalid bytes become one word (their counts are added).
    """
    n = table.n_words
    counts = table.counts[:n]
    high = wt.has_high_byte(table.ent_off, table.ent_len, table.arena, n)
    # Plain-ASCII entries cannot collide after decoding; only candidates are decoded.
    ascii_kept = np.flatnonzero(~high & (counts >= min_count))
    by_word: dict[str, int] = {}
    entries_of: dict[str, list[int]] = {}
    for e in ascii_kept.tolist():
        w = table.word_bytes(e).decode("ascii")
        by_word[w] = int(counts[e])
        entries_of[w] = [e]
    for e in np.flatnonzero(high).tolist():
        w = table.word_bytes(e).decode("utf-8", "replace")
        by_word[w] = by_word.get(w, 0) + int(counts[e])
        entries_of.setdefault(w, []).append(e)
    vocab = Vocabulary.from_counts(by_word, min_count)
    remap = np.full(n, -1, dtype=np.int32)
    for i, w in enumerate(vocab.words):
        remap[entries_of[w]] = i
    return vocab, remap


def encode_corpus(scan: ScanResult, remap: np.ndarray) -> EncodedCorpus:
    """Map a scan's provisional ids to vocabulary ids (``remap``), dropping the rest."""
    prov_ids = np.concatenate(scan.prov_ids) if scan.prov_ids else np.empty(0, np.int32)
    prov_ends = np.concatenate(scan.prov_ends) if scan.prov_ends else np.empty(0, np.int64)
    scan.prov_ids = None  # free the provisional blocks
    tokens = np.empty(prov_ids.shape[0], dtype=np.int32)
    ends = np.empty(prov_ends.shape[0], dtype=np.int64)
    n, n_ends = wt.compact(prov_ids, prov_ends, remap, tokens, ends)
    del prov_ids
    return EncodedCorpus(tokens[:n].copy(), ends[:n_ends].copy())


def frozen_table(vocab: Vocabulary) -> wt.WordTable:
    """A table holding exactly the vocabulary's words (entry i = word id i)."""
    table = wt.WordTable(capacity=max(1024, len(vocab)))
    try:
        table.insert_all([w.encode("utf-8", "surrogatepass") for w in vocab.words])
    except ValueError as exc:
        raise FastW2VError(f"invalid vocabulary: {exc}") from None
    return table


def vocab_and_corpus(corpus: Corpus, *, min_count: int, max_vocab_size: int,
                     max_sentence_length: int, vocab: Vocabulary | None = None,
                     progress: ProgressFn | None = None) -> tuple[Vocabulary, EncodedCorpus]:
    """Count (unless ``vocab`` is given) and encode ``corpus``.

    Raises :class:`FastW2VError` for an empty corpus or one where no word
    reaches ``min_count``.
    """
    if vocab is None:
        scan = scan_corpus(corpus, max_sentence_length=max_sentence_length,
                           max_vocab_size=max_vocab_size, progress=progress)
        if scan.table.n_words == 0:
            raise FastW2VError(f"corpus is empty (no words in {corpus.describe()})")
        vocab, remap = build_vocabulary(scan.table, min_count)
        if len(vocab) == 0:
            top = int(scan.table.counts[:scan.table.n_words].max())
            raise FastW2VError(
                f"no word reaches --min-count {min_count} (the most frequent word occurs {top} times)")
        if not scan.pruned:
            return vocab, encode_corpus(scan, remap)
        del scan
    # Encode against a fixed vocabulary: a second pass with a frozen table.
    table = frozen_table(vocab)
    scan = scan_corpus(corpus, max_sentence_length=max_sentence_length, table=table,
                       frozen=True, progress=progress)
    identity = np.arange(len(vocab), dtype=np.int32)
    encoded = encode_corpus(scan, identity)
    if encoded.n_words == 0:
        raise FastW2VError(f"no word of the vocabulary occurs in {corpus.describe()}")
    return vocab, encoded
