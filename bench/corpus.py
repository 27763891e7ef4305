"""Corpus preparation: one plain-text file that every tool reads.

The source corpus (plain, .gz, .bz2 or .xz) is decompressed once and rewritten
so that every tool sees exactly the same sentences and the same tokens:

* bytes are decoded as UTF-8 (invalid bytes become U+FFFD);
* each line is split on whitespace (Python's ``str.split()``, which is a superset
  of what the C tools treat as whitespace; NUL, which fastText splits on, is
  treated as whitespace too);
* tokens are written separated by one space, lines of at most ``wrap`` tokens
  (default 1000: word2vec.c's sentence limit, below fastText's 1024 and gensim
  ``corpus_file``'s 10000); existing line breaks are kept, empty lines dropped.

While writing, every word is counted, so the number of in-vocabulary words for
any ``min_count`` is known without asking any of the tools (see :meth:`in_vocab_words`).
The result is cached next to a small JSON description and reused when the source
file (path, size, modification time) and ``wrap`` are unchanged.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

PREP_VERSION = 1
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
WORD2VEC_C_MAX_BYTES = 99  # word2vec.c cuts longer words (MAX_STRING - 1)


@dataclass
class PreparedCorpus:
    source: str  # the corpus the user named
    path: str  # the prepared plain-text file every tool reads
    wrap: int
    bytes: int  # size of the prepared file
    lines: int  # sentences (lines) in the prepared file
    tokens: int  # all tokens, before min_count
    distinct: int  # distinct words, before min_count
    long_tokens: int  # tokens longer than word2vec.c's 99-byte word limit
    prepare_s: float  # seconds it took to prepare (0.0 read from cache)
    counts_path: str  # .npy: count of every distinct word, descending

    @property
    def name(self) -> str:
        return corpus_name(self.source)

    def _counts(self) -> np.ndarray:
        return np.load(self.counts_path)

    def in_vocab_words(self, min_count: int) -> int:
        """Tokens whose word occurs at least ``min_count`` times (before subsampling)."""
        c = self._counts()
        return int(c[c >= min_count].sum())

    def vocab_size(self, min_count: int) -> int:
        return int((self._counts() >= min_count).sum())

    def describe(self, min_count: int) -> dict:
        d = asdict(self)
        d["name"] = self.name
        d["min_count"] = min_count
        d["vocab_size"] = self.vocab_size(min_count)
        d["in_vocab_words"] = self.in_vocab_words(min_count)
        return d


def corpus_name(path: str | os.PathLike) -> str:
    """``gutenberg_100M.txt.xz`` -> ``gutenberg_100M``."""
    name = Path(path).name
    for suffix in (".gz", ".bz2", ".xz", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "corpus"


def _open_binary(path: Path):
    opener = _OPENERS.get(path.suffix.lower())
    return opener(path, "rb") if opener else open(path, "rb")


def prepare_corpus(source: str | os.PathLike, work_dir: str | os.PathLike, wrap: int = 1000,
                   log=print) -> PreparedCorpus:
    """Decompress, re-tokenise and re-wrap ``source`` into ``work_dir`` (cached)."""
    if wrap < 1:
        raise ValueError(f"wrap must be at least 1 (got {wrap})")
    src = Path(source).resolve()
    if not src.is_file():
        raise FileNotFoundError(f"corpus file not found: {source}")
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    stem = f"{corpus_name(src)}.wrap{wrap}"
    out_path = work / f"{stem}.txt"
    meta_path = work / f"{stem}.json"
    counts_path = work / f"{stem}.counts.npy"
    st = src.stat()
    key = {"version": PREP_VERSION, "source": str(src), "size": st.st_size,
           "mtime_ns": st.st_mtime_ns, "wrap": wrap}
    if meta_path.exists() and out_path.exists() and counts_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("key") == key and out_path.stat().st_size == meta["corpus"]["bytes"]:
                c = meta["corpus"]
                c["prepare_s"] = 0.0
                log(f"corpus: reusing {out_path} (prepared earlier from {src})")
                return PreparedCorpus(**c)
        except (ValueError, KeyError, TypeError, OSError):
            pass
    log(f"corpus: preparing {out_path} from {src} (lines of at most {wrap} tokens)")
    t0 = time.perf_counter()
    counts: Counter = Counter()
    n_lines = n_tokens = n_long = 0
    tmp = out_path.with_suffix(".txt.part")
    short = WORD2VEC_C_MAX_BYTES // 4  # a token of fewer characters cannot exceed 99 bytes
    with _open_binary(src) as fin, open(tmp, "w", encoding="utf-8", newline="\n") as fout:
        for raw in fin:
            line = raw.decode("utf-8", "replace")
            if "\x00" in line:
                line = line.replace("\x00", " ")
            tokens = line.split()
            if not tokens:
                continue
            counts.update(tokens)
            n_tokens += len(tokens)
            if max(map(len, tokens)) > short:
                n_long += sum(len(t.encode("utf-8")) > WORD2VEC_C_MAX_BYTES for t in tokens)
            for i in range(0, len(tokens), wrap):
                fout.write(" ".join(tokens[i:i + wrap]))
                fout.write("\n")
                n_lines += 1
    if n_tokens == 0:
        tmp.unlink()
        raise ValueError(f"corpus {source} holds no words")
    os.replace(tmp, out_path)
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    np.save(counts_path, -np.sort(-values))
    prepared = PreparedCorpus(
        source=str(source), path=str(out_path), wrap=wrap, bytes=out_path.stat().st_size,
        lines=n_lines, tokens=n_tokens, distinct=len(counts), long_tokens=n_long,
        prepare_s=round(time.perf_counter() - t0, 3), counts_path=str(counts_path))
    meta_path.write_text(json.dumps({"key": key, "corpus": asdict(prepared)}, indent=1))
    log(f"corpus: {n_tokens:,} tokens, {len(counts):,} distinct words, {n_lines:,} lines "
        f"({prepared.prepare_s:.1f} s)")
    return prepared
