"""Counting words in raw bytes: a Numba tokenizer over an open-addressing hash table.

This is the start-up hot path. Instead of decoding text and counting with a Python
dict (about 9 s for 19M words), the corpus is scanned as bytes:

* a token is a maximal run of bytes that are not ASCII whitespace (space, tab,
  newline, vertical tab, form feed, carriage return), as in word2vec.c;
* a newline ends a sentence, and so does reaching ``max_sentence_length`` tokens;
* each token is hashed (FNV-1a, 64 bit) and looked up in a hash table whose keys
  are the token bytes themselves (stored in one byte arena), so hash collisions
  never merge two words.

In the same pass every token is written out as its table entry number (a
*provisional* id, in order of first appearance), so the corpus is tokenised once:
once the vocabulary is known, :func:`compact` maps provisional ids to final ids.

The table lives in plain NumPy arrays (:class:`WordTable` holds them). The Numba
functions never allocate: when the table or the arena is full they stop and say so,
the Python side grows the arrays and calls again from where they stopped.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Scanner status codes.
OK = 0
NEED_SPACE = 1  # grow the table or the arena, then call again from the returned position
NEED_PRUNE = 2  # the table holds max_words entries: prune it, then call again

# Slots of the small int64 state array shared by successive scan calls.
N_WORDS = 0  # entries in the table
ARENA_USED = 1  # bytes used in the arena
SENT_LEN = 2  # tokens in the sentence being read
N_TOKENS = 3  # tokens emitted so far (the position in the provisional stream)
STATE_SIZE = 4

_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


SEPARATORS = b" \t\n\v\f\r"  # ASCII whitespace: what ends a token


def _whitespace_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.bool_)
    for byte in SEPARATORS:
        table[byte] = True
    return table


WHITESPACE = _whitespace_table()
_WHITESPACE_BYTES = tuple(bytes([b]) for b in SEPARATORS)


def has_whitespace(data: bytes) -> bool:
    """Whether ``data`` holds any token separator (a byte search: fast on large blocks)."""
    return any(b in data for b in _WHITESPACE_BYTES)


@njit(cache=True, nogil=True)
def _find(slots, ent_hash, ent_off, ent_len, arena, buf, start, length, h):
    """Return (slot, entry) for the token buf[start:start+length]; entry is -1 if absent."""
    mask = slots.shape[0] - 1
    s = np.int64(h & np.uint64(mask))
    while True:
        e = slots[s]
        if e < 0:
            return s, -1
        if ent_hash[e] == h and ent_len[e] == length:
            off = ent_off[e]
            same = True
            for k in range(length):
                if arena[off + k] != buf[start + k]:
                    same = False
                    break
            if same:
                return s, e
        s = (s + 1) & mask


@njit(cache=True, nogil=True)
def valid_utf8(buf, start, length):
    """Whether buf[start:start+length] is well-formed UTF-8 (shortest forms, no surrogates)."""
    i = start
    end = start + length
    while i < end:
        c = buf[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            n, lo, hi = 1, 0x80, 0xBF
        elif 0xE0 <= c <= 0xEF:
            n = 2
            lo = 0xA0 if c == 0xE0 else 0x80
            hi = 0x9F if c == 0xED else 0xBF
        elif 0xF0 <= c <= 0xF4:
            n = 3
            lo = 0x90 if c == 0xF0 else 0x80
            hi = 0x8F if c == 0xF4 else 0xBF
        else:
            return False
        if i + n >= end + 1 or not lo <= buf[i + 1] <= hi:
            return False
        for k in range(2, n + 1):
            if not 0x80 <= buf[i + k] <= 0xBF:
                return False
        i += n + 1
    return True


@njit(cache=True, nogil=True)
def scan(buf, pos, final, slots, ent_hash, ent_off, ent_len, counts, arena, state,
         max_sentence_length, max_words, frozen, out_ids, out_ends, whitespace):
    """Tokenise ``buf[pos:]``, counting words and emitting their entry numbers.

    ``out_ids`` receives one entry number per token (-1 for a word not in a
    ``frozen`` table). A frozen table still takes in tokens that are not valid
    UTF-8, as new entries: they may match a vocabulary word once decoded with
    replacement, which the caller checks; ``out_ends`` receives the stream position just past each
    sentence. Both must hold ``len(buf) // 2 + 1`` values.

    A token touching the end of ``buf`` is left alone unless ``final`` is true: the
    caller carries it over into the next block.

    Returns ``(position, n_ids, n_ends, status)``: how far the scan got, how many
    ids and sentence ends were written, and OK / NEED_SPACE / NEED_PRUNE.
    """
    n = buf.shape[0]
    n_ids = 0
    n_ends = 0
    i = pos
    # The per-token counters live in locals (stores to the output arrays could
    # alias ``state``, so the compiler would reload it for every token); every
    # return writes them back first.
    n_tokens = state[N_TOKENS]
    sent_len = state[SENT_LEN]
    status = OK
    while True:
        while i < n and whitespace[buf[i]]:
            if buf[i] == 10 and sent_len > 0:
                out_ends[n_ends] = n_tokens
                n_ends += 1
                sent_len = 0
            i += 1
        if i >= n:
            break
        j = i
        h = _FNV_OFFSET
        while j < n and not whitespace[buf[j]]:
            h = (h ^ np.uint64(buf[j])) * _FNV_PRIME
            j += 1
        if j >= n and not final:
            break
        length = j - i
        s, e = _find(slots, ent_hash, ent_off, ent_len, arena, buf, i, length, h)
        if e < 0 and (not frozen or not valid_utf8(buf, i, length)):
            n_words = state[N_WORDS]
            if max_words > 0 and n_words >= max_words:
                status = NEED_PRUNE
                break
            used = state[ARENA_USED]
            if n_words >= ent_hash.shape[0] or used + length > arena.shape[0]:
                status = NEED_SPACE
                break
            e = n_words
            slots[s] = e
            ent_hash[e] = h
            ent_off[e] = used
            ent_len[e] = length
            counts[e] = 0
            for k in range(length):
                arena[used + k] = buf[i + k]
            state[ARENA_USED] = used + length
            state[N_WORDS] = n_words + 1
        if e >= 0:
            counts[e] += 1
        out_ids[n_ids] = e
        n_ids += 1
        n_tokens += 1
        sent_len += 1
        if sent_len >= max_sentence_length:
            out_ends[n_ends] = n_tokens
            n_ends += 1
            sent_len = 0
        i = j
    state[N_TOKENS] = n_tokens
    state[SENT_LEN] = sent_len
    return i, n_ids, n_ends, status


@njit(cache=True, nogil=True)
def rehash(slots, ent_hash, n_words):
    """Fill an empty slot array (all -1) with entries 0..n_words-1."""
    mask = slots.shape[0] - 1
    for e in range(n_words):
        s = np.int64(ent_hash[e] & np.uint64(mask))
        while slots[s] >= 0:
            s = (s + 1) & mask
        slots[s] = e


@njit(cache=True, nogil=True)
def prune(ent_hash, ent_off, ent_len, counts, arena, n_words, min_reduce):
    """Drop entries with count <= min_reduce, compacting entries and arena in place.

    Returns (n_words, arena_used) after pruning; the caller rebuilds the slots.
    """
    kept = 0
    used = 0
    for e in range(n_words):
        if counts[e] <= min_reduce:
            continue
        off = ent_off[e]
        length = ent_len[e]
        for k in range(length):
            arena[used + k] = arena[off + k]
        ent_hash[kept] = ent_hash[e]
        ent_off[kept] = used
        ent_len[kept] = length
        counts[kept] = counts[e]
        used += length
        kept += 1
    return kept, used


@njit(cache=True, nogil=True)
def has_high_byte(ent_off, ent_len, arena, n_words):
    """For each entry, whether its bytes include one >= 128 (not plain ASCII)."""
    out = np.zeros(n_words, dtype=np.bool_)
    for e in range(n_words):
        off = ent_off[e]
        for k in range(ent_len[e]):
            if arena[off + k] >= 128:
                out[e] = True
                break
    return out


@njit(cache=True, nogil=True)
def compact(prov_ids, prov_ends, remap, tokens, ends):
    """Map provisional ids to final ids, dropping -1s and sentences left empty.

    ``tokens`` and ``ends`` must be large enough (``len(prov_ids)`` and
    ``len(prov_ends)``); ``tokens`` may be ``prov_ids`` itself (the write position
    never passes the read position). Returns (n_tokens, n_sentences) written.
    """
    n = 0
    n_ends = 0
    e = 0
    n_prov_ends = prov_ends.shape[0]
    for p in range(prov_ids.shape[0]):
        w = prov_ids[p]
        if w >= 0:
            w = remap[w]
            if w >= 0:
                tokens[n] = w
                n += 1
        while e < n_prov_ends and prov_ends[e] <= p + 1:
            if n_ends == 0 or ends[n_ends - 1] < n:
                if n > 0:
                    ends[n_ends] = n
                    n_ends += 1
            e += 1
    return n, n_ends


class WordTable:
    """The growable arrays behind :func:`scan`: slots, entries and the byte arena."""

    def __init__(self, capacity: int = 1 << 16, arena_bytes: int = 1 << 20):
        capacity = 1 << max(int(capacity) - 1, 1).bit_length()  # probing masks need a power of 2
        self.slots = np.full(2 * capacity, -1, dtype=np.int32)
        self.ent_hash = np.zeros(capacity, dtype=np.uint64)
        self.ent_off = np.zeros(capacity, dtype=np.int64)
        self.ent_len = np.zeros(capacity, dtype=np.int32)
        self.counts = np.zeros(capacity, dtype=np.int64)
        self.arena = np.zeros(arena_bytes, dtype=np.uint8)
        self.state = np.zeros(STATE_SIZE, dtype=np.int64)

    @property
    def n_words(self) -> int:
        return int(self.state[N_WORDS])

    def word_bytes(self, e: int) -> bytes:
        off = int(self.ent_off[e])
        return self.arena[off:off + int(self.ent_len[e])].tobytes()

    def grow(self, need_bytes: int) -> None:
        """Double whatever is full: the entry arrays (and slots) or the arena."""
        n = self.n_words
        if n >= self.ent_hash.shape[0]:
            capacity = 2 * self.ent_hash.shape[0]
            for name in ("ent_hash", "ent_off", "ent_len", "counts"):
                old = getattr(self, name)
                new = np.zeros(capacity, dtype=old.dtype)
                new[:n] = old[:n]
                setattr(self, name, new)
            self.slots = np.full(2 * capacity, -1, dtype=np.int32)
            rehash(self.slots, self.ent_hash, n)
        used = int(self.state[ARENA_USED])
        if used + need_bytes > self.arena.shape[0]:
            size = max(2 * self.arena.shape[0], used + need_bytes)
            arena = np.zeros(size, dtype=np.uint8)
            arena[:used] = self.arena[:used]
            self.arena = arena

    def prune(self, min_reduce: int) -> None:
        """Forget every word seen at most ``min_reduce`` times (word2vec.c's ReduceVocab)."""
        n, used = prune(self.ent_hash, self.ent_off, self.ent_len, self.counts, self.arena,
                        self.n_words, min_reduce)
        self.state[N_WORDS] = n
        self.state[ARENA_USED] = used
        self.slots.fill(-1)
        rehash(self.slots, self.ent_hash, n)

    def insert_all(self, words: list[bytes]) -> None:
        """Load a fixed word list (entry i = words[i]); used with ``frozen`` scans."""
        blob = b"\n".join(words) + b"\n"
        buf = np.frombuffer(blob, dtype=np.uint8)
        out_ids = np.empty(len(buf) // 2 + 1, dtype=np.int32)
        out_ends = np.empty(len(buf) // 2 + 1, dtype=np.int64)
        pos = 0
        while True:
            pos, n_ids, _, status = scan(buf, pos, True, self.slots, self.ent_hash, self.ent_off,
                                         self.ent_len, self.counts, self.arena, self.state,
                                         1 << 62, 0, False, out_ids, out_ends, WHITESPACE)
            if status == OK:
                break
            self.grow(len(buf))
        self.counts[:self.n_words] = 0
        self.state[N_TOKENS] = 0
        self.state[SENT_LEN] = 0
        if self.n_words != len(words):
            raise ValueError("word list has duplicates or words containing whitespace")
