"""From raw corpus to vocabulary and token ids, in one pass over the bytes.

:func:`scan_corpus` feeds the corpus blocks to the Numba tokenizer
(:mod:`fastw2v.text.wordtable`), which counts every word and writes its provisional id;
:func:`build_vocabulary` keeps the words that reach ``min_count`` in canonical
order; :func:`encode_corpus` maps provisional ids to vocabulary ids, dropping the
others. Only when ``max_vocab_size`` forced words out of the table mid-count
(which makes earlier provisional ids stale) is the corpus read a second time,
against the final vocabulary. The same second-pass path encodes a corpus against
a vocabulary read from a file (``--read-vocab``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import FastW2VError
from . import wordtable as wt
from .corpus import Corpus, EncodedCorpus
from .vocab import Vocabulary

ProgressFn = Callable[[int, int], None]  # called with bytes of input consumed and words read so far


@dataclass
class ScanResult:
    table: wt.WordTable
    prov_ids: np.ndarray | None  # provisional id of every token; None if stale after pruning
    prov_ends: list[np.ndarray]  # sentence ends (positions in prov_ids), per block
    pruned: bool


class _IdBuffer:
    """One growing int32 array for the provisional ids of the whole corpus.

    It is allocated generously: memory that is never written is never touched,
    so the unused tail costs address space, not RAM. Writing the ids into one
    array (rather than a list of blocks) lets :func:`encode_corpus` compact them
    in place, without first-touching another copy of the corpus (on this kind of
    VM first touch costs about 0.2 s per 76 MB).
    """

    def __init__(self, estimate: int):
        self.ids = np.empty(max(estimate, 1 << 16), dtype=np.int32)
        self.n = 0
        self.ends: list[np.ndarray] = []

    def room(self, need: int) -> np.ndarray:
        """A writable view of at least ``need`` free slots."""
        if self.ids.shape[0] - self.n < need:
            grown = np.empty(max(2 * self.ids.shape[0], self.n + need), dtype=np.int32)
            grown[:self.n] = self.ids[:self.n]
            self.ids = grown
        return self.ids[self.n:]

    def commit(self, n: int) -> None:
        """The first ``n`` slots of the last :meth:`room` now hold ids."""
        self.n += n

    def add_ends(self, ends: np.ndarray) -> None:
        self.ends.append(ends.copy())

    def result(self) -> tuple[np.ndarray, list[np.ndarray]]:
        return self.ids[:self.n], self.ends


class _IdFiles:
    """Provisional ids and sentence ends appended to two files instead of memory,
    so that memory stays bounded whatever the corpus size (the token cache)."""

    def __init__(self, ids_file, ends_file):
        self.ids_file, self.ends_file = ids_file, ends_file
        self.scratch = np.empty(0, dtype=np.int32)

    def room(self, need: int) -> np.ndarray:
        if self.scratch.shape[0] < need:
            self.scratch = np.empty(need, dtype=np.int32)
        return self.scratch

    def commit(self, n: int) -> None:
        self.scratch[:n].tofile(self.ids_file)

    def add_ends(self, ends: np.ndarray) -> None:
        ends.astype(np.int64).tofile(self.ends_file)

    def result(self) -> tuple[None, list[np.ndarray]]:
        return None, []  # all in the files


def scan_corpus(corpus: Corpus, *, max_sentence_length: int, max_vocab_size: int = 0,
                table: wt.WordTable | None = None, frozen: bool = False,
                progress: ProgressFn | None = None, files: tuple | None = None) -> ScanResult:
    """Tokenise the whole corpus once: count words and emit provisional ids.

    The ids and sentence ends go to memory, or, with ``files`` (two binary files
    open for writing), are appended to those files.
    """
    table = table or wt.WordTable()
    ids: _IdBuffer | _IdFiles | None
    if files is not None:
        ids = _IdFiles(*files)
    else:
        # Upper bound for plain text: a token takes at least 2 bytes. Compressed
        # input is rarely over 8x smaller than its text.
        ids = _IdBuffer(corpus.total_bytes * 4 if corpus.compressed else corpus.total_bytes // 2 + 1)
    min_reduce = 1
    pruned = False
    carry = b""
    scratch = np.empty(0, dtype=np.int32)
    out_ends = np.empty(0, dtype=np.int64)
    for block in corpus.blocks():
        data = carry + block.data if carry else block.data
        carry = b""
        buf = np.frombuffer(data, dtype=np.uint8)
        size = len(buf) // 2 + 1
        if out_ends.shape[0] < size:
            out_ends = np.empty(size, dtype=np.int64)
        # A word longer than 1 MiB is cut there rather than carried forever.
        final = block.end_of_file or len(buf) > 1 << 20 and not wt.has_whitespace(data)
        pos = 0
        while True:
            if ids is not None:
                out_ids = ids.room(size)
            else:  # ids are not kept after pruning: scribble in a scratch buffer
                if scratch.shape[0] < size:
                    scratch = np.empty(size, dtype=np.int32)
                out_ids = scratch
            pos, n_ids, n_ends, status = wt.scan(
                buf, pos, final, table.slots, table.ent_hash, table.ent_off, table.ent_len,
                table.counts, table.arena, table.state, max_sentence_length, max_vocab_size,
                frozen, out_ids, out_ends, wt.WHITESPACE)
            if ids is not None:
                ids.commit(n_ids)
                ids.add_ends(out_ends[:n_ends])
            if status == wt.OK:
                break
            if status == wt.NEED_SPACE:
                table.grow(len(buf) - pos)
            else:  # NEED_PRUNE: provisional ids emitted so far go stale
                while table.n_words >= max_vocab_size:
                    table.prune(min_reduce)
                    min_reduce += 1
                pruned = True
                ids = None
        if pos < len(buf):
            carry = data[pos:]
        if block.end_of_file and table.state[wt.SENT_LEN] > 0:
            if ids is not None:
                ids.add_ends(np.array([table.state[wt.N_TOKENS]], dtype=np.int64))
            table.state[wt.SENT_LEN] = 0
        if progress is not None:
            progress(block.raw_done, int(table.state[wt.N_TOKENS]))
    if ids is None:  # pruned: the ids are stale, a second pass will encode
        return ScanResult(table, None, [], pruned)
    return ScanResult(table, *ids.result(), pruned)


def build_vocabulary(table: wt.WordTable, min_count: int) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary of a counted table, and ``remap``: table entry -> word id (or -1).

    Words are decoded from UTF-8 with replacement, so two byte strings that differ
    only in invalid bytes become one word (their counts are added). Such merges
    can only happen among entries with a byte >= 128; plain-ASCII entries are
    decoded only if they reach ``min_count``, in one vectorised pass.
    """
    n = table.n_words
    counts = table.counts[:n]
    high = wt.has_high_byte(table.ent_off, table.ent_len, table.arena, n)
    arena = table.arena[:int(table.state[wt.ARENA_USED])].tobytes()
    starts = table.ent_off[:n].tolist()
    ends = (table.ent_off[:n] + table.ent_len[:n]).tolist()

    ascii_entries = np.flatnonzero(~high & (counts >= min_count))
    words = [arena[starts[e]:ends[e]].decode("ascii") for e in ascii_entries.tolist()]
    word_counts = counts[ascii_entries].tolist()
    entries: list[int | list[int]] = ascii_entries.tolist()
    merged: dict[str, int] = {}  # decoded non-ASCII word -> its position in words
    for e in np.flatnonzero(high).tolist():
        w = arena[starts[e]:ends[e]].decode("utf-8", "replace")
        i = merged.get(w)
        if i is None:
            merged[w] = len(words)
            words.append(w)
            word_counts.append(int(counts[e]))
            entries.append([e])
        else:
            word_counts[i] += int(counts[e])
            entries[i].append(e)

    order = sorted((i for i in range(len(words)) if word_counts[i] >= min_count),
                   key=lambda i: (-word_counts[i], words[i]))
    vocab = Vocabulary([words[i] for i in order],
                       np.array([word_counts[i] for i in order], dtype=np.int64))
    remap = np.full(n, -1, dtype=np.int32)
    n_ascii = len(ascii_entries)
    plain = [(entries[i], rank) for rank, i in enumerate(order) if i < n_ascii]
    if plain:
        remap[[e for e, _ in plain]] = [rank for _, rank in plain]
    for rank, i in enumerate(order):
        if i >= n_ascii:
            remap[entries[i]] = rank
    return vocab, remap


def encode_corpus(scan: ScanResult, remap: np.ndarray) -> EncodedCorpus:
    """Map a scan's provisional ids to vocabulary ids (``remap``), dropping the rest.

    Compacts in place: the scan's id array becomes the corpus's token array.
    """
    tokens = scan.prov_ids
    scan.prov_ids = None
    prov_ends = np.concatenate(scan.prov_ends) if scan.prov_ends else np.empty(0, np.int64)
    ends = np.empty(prov_ends.shape[0], dtype=np.int64)
    n, n_ends = wt.compact(tokens, prov_ends, remap, tokens, ends)
    return EncodedCorpus(tokens[:n], ends[:n_ends])


def encode_files(ids_path, ends_path, remap: np.ndarray,
                 window_words: int = 1 << 20) -> tuple[int, int]:
    """:func:`encode_corpus` for a scan written to files: compact them in place.

    Works through windows of about ``window_words`` tokens with plain reads and
    writes, so memory stays bounded by one window. Returns (tokens, sentences)
    kept; the files are truncated to them.
    """
    n_prov_ends = os.path.getsize(ends_path) // 8
    n_out = n_ends_out = 0
    s = p_lo = 0  # next sentence to read, and where its provisional ids start
    with open(ids_path, "r+b") as fi, open(ends_path, "r+b") as fe:
        while s < n_prov_ends:
            # (the ends before s are already overwritten by compacted ones: p_lo is kept here)
            fe.seek(s * 8)
            ends = np.fromfile(fe, np.int64, min(n_prov_ends - s, max(window_words // 8, 1024)))
            # whole sentences up to about window_words tokens (at least one)
            take = max(1, int(np.searchsorted(ends, p_lo + window_words, side="right")))
            ends = ends[:take] - p_lo
            p_hi = p_lo + int(ends[-1])
            fi.seek(p_lo * 4)
            ids = np.fromfile(fi, np.int32, p_hi - p_lo)
            out_ends = np.empty(take, dtype=np.int64)
            n, n_e = wt.compact(ids, ends, remap, ids, out_ends)
            fi.seek(n_out * 4)
            ids[:n].tofile(fi)
            fe.seek(n_ends_out * 8)
            (out_ends[:n_e] + n_out).tofile(fe)
            n_out += n
            n_ends_out += n_e
            s += take
            p_lo = p_hi
        fi.truncate(n_out * 4)
        fe.truncate(n_ends_out * 8)
    return n_out, n_ends_out


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
                     progress: ProgressFn | None = None, into: tuple | None = None):
    """Count (unless ``vocab`` is given) and encode ``corpus``.

    Returns ``(vocabulary, encoded corpus)``. With ``into``, two paths (ids,
    sentence ends), the corpus is encoded into those files instead of memory
    (the token cache), and the second item is ``(tokens, sentences)`` written.
    Raises :class:`FastW2VError` for an empty corpus or one where no word
    reaches ``min_count``.
    """
    def read(**kw) -> ScanResult:
        if into is None:
            return scan_corpus(corpus, max_sentence_length=max_sentence_length, progress=progress, **kw)
        with open(into[0], "wb") as ids, open(into[1], "wb") as ends:
            return scan_corpus(corpus, max_sentence_length=max_sentence_length, progress=progress,
                               files=(ids, ends), **kw)

    def encode(scan: ScanResult, remap: np.ndarray):
        if into is None:
            encoded = encode_corpus(scan, remap)
            return encoded, encoded.n_words
        n_tokens, n_sentences = encode_files(*into, remap)
        return (n_tokens, n_sentences), n_tokens

    if vocab is None:
        scan = read(max_vocab_size=max_vocab_size)
        if scan.table.n_words == 0:
            raise FastW2VError(f"corpus is empty (no words in {corpus.describe()})")
        vocab, remap = build_vocabulary(scan.table, min_count)
        if len(vocab) == 0:
            top = int(scan.table.counts[:scan.table.n_words].max())
            raise FastW2VError(
                f"no word reaches {{min_count}} {min_count} (the most frequent word occurs {top} "
                f"time{'s' if top != 1 else ''})", fields=("min_count",))
        if not scan.pruned:
            return vocab, encode(scan, remap)[0]
        del scan
    # Encode against a fixed vocabulary: a second pass with a frozen table.
    table = frozen_table(vocab)
    encoded, n_words = encode(read(table=table, frozen=True), frozen_remap(table, vocab))
    if n_words == 0:
        raise FastW2VError(f"no word of the vocabulary occurs in {corpus.describe()}")
    return vocab, encoded


def frozen_remap(table: wt.WordTable, vocab: Vocabulary) -> np.ndarray:
    """Entry -> word id after a frozen scan: the vocabulary itself, then any entries
    the scan added for invalid UTF-8 tokens, matched by their decoded form."""
    remap = np.full(table.n_words, -1, dtype=np.int32)
    remap[:len(vocab)] = np.arange(len(vocab), dtype=np.int32)
    for e in range(len(vocab), table.n_words):
        remap[e] = vocab.index.get(table.word_bytes(e).decode("utf-8", "replace"), -1)
    return remap
