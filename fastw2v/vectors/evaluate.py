"""Judging vectors: analogy accuracy and correlation with human similarity scores.

Two standard intrinsic evaluations, defined as in gensim's ``KeyedVectors`` (the
common reference), so that the numbers can be compared with published ones:

**Analogies** (``evaluate_analogies``; Google's ``questions-words.txt`` format:
``: section`` lines, then ``a b c d`` questions meaning "a is to b as c is to d").
Only the first ``restrict_vocab`` words of the file take part (word2vec.c's
compute-accuracy uses 30,000). A question with any word outside them is skipped
and counted as out-of-vocabulary. The answer is the best-scoring word among them
other than a, b and c: by 3CosAdd, the cosine with ``b - a + c`` on unit vectors,
or by 3CosMul (see :mod:`fastw2v.vectors.query`). With ``case_insensitive`` (the default,
as in gensim and word2vec.c) words are compared upper-cased and a word stands for
its first (most frequent) case variant. Sections named ``gram...`` are
syntactic, the others semantic. All questions are answered in batches of one
matrix product each, so 19,544 questions over 30,000 words take seconds.

**Word pairs** (``evaluate_word_pairs``; WordSim-353, SimLex-999 or any ``word1
word2 score`` file, tab- or space-separated, ``#`` comments): Spearman's rank and
Pearson's linear correlation between the human scores and the cosines, over the
pairs whose two words are known; the out-of-vocabulary ratio says how many pairs
that left out.

**Models with subwords** (a fastText ``.bin``; see :mod:`fastw2v.vectors.query`)
also answer questions and pairs with words outside the vocabulary. The candidate
answers of an analogy stay the first ``restrict_vocab`` words, and a question
whose expected answer is not among them is skipped as before; but a question word
a, b or c outside them gets the model's vector for it: its vocabulary vector when
the model knows it (beyond the first ``restrict_vocab`` words; with
``case_insensitive``, its first case variant), else the mean of the n-gram rows of
the word as written in the question file. Only a word without any n-gram is still
unknown. Word pairs do the same. ``from_ngrams`` counts the questions (pairs)
answered with at least one word out of the vocabulary altogether, i.e. with a
vector from its n-grams alone; ``oov`` counts those skipped.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numba import njit, prange

from ..errors import FastW2VError
from .query import (
    COSMUL_EPSILON,
    WordVectors,
    as_word_vectors,
    check_analogy_method,
    unit_rows,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"  # the package's data/ (package data: in the wheel)
DEFAULT_ANALOGIES = "questions-words.txt"
DEFAULT_SIMILARITY = ("wordsim353.tsv", "simlex999.txt")
DEFAULT_RESTRICT_VOCAB = 30000
_SCORES_PER_BATCH = 1 << 25  # floats in one batch's (questions x words) score matrix


@dataclass
class AnalogySection:
    """Counts for one section of an analogy file (or a sum of sections)."""

    name: str
    correct: int = 0
    evaluated: int = 0  # questions answered (with dummy4unknown: OOV ones too, as wrong)
    oov: int = 0  # questions with a word outside the restricted vocabulary (with subwords: skipped ones)
    from_ngrams: int = 0  # answered with a, b or c out of the vocabulary: from its n-grams alone

    @property
    def accuracy(self) -> float:
        """Correct answers over questions answered (0.0 when none was, like gensim)."""
        return self.correct / self.evaluated if self.evaluated else 0.0

    def add(self, other: "AnalogySection") -> None:
        self.correct += other.correct
        self.evaluated += other.evaluated
        self.oov += other.oov
        self.from_ngrams += other.from_ngrams

    def to_dict(self, subwords: bool = False) -> dict:
        out = {"section": self.name, "correct": self.correct, "evaluated": self.evaluated,
               "oov": self.oov, "accuracy": self.accuracy}
        if subwords:
            out["from_ngrams"] = self.from_ngrams
        return out


@dataclass
class AnalogyResult:
    """Analogy accuracy per section, for semantic and syntactic sections, and in total."""

    path: str
    method: str
    restrict_vocab: int  # words that took part (the first N of the file)
    words: int  # words in the vectors
    case_insensitive: bool
    sections: list[AnalogySection]
    semantic: AnalogySection
    syntactic: AnalogySection
    total: AnalogySection
    seconds: float = 0.0
    subwords: bool = False  # the model has n-grams: question words out of the vocabulary answered

    @property
    def accuracy(self) -> float:
        return self.total.accuracy

    def to_dict(self) -> dict:
        sub = self.subwords
        out = {"path": self.path, "method": self.method, "restrict_vocab": self.restrict_vocab,
               "words": self.words, "case_insensitive": self.case_insensitive,
               "seconds": round(self.seconds, 3),
               "sections": [s.to_dict(sub) for s in self.sections], "semantic": self.semantic.to_dict(sub),
               "syntactic": self.syntactic.to_dict(sub), "total": self.total.to_dict(sub)}
        if sub:
            out["subwords"] = True
        return out


@dataclass
class WordPairResult:
    """Correlation of cosines with human similarity scores on one word-pair file."""

    path: str
    pairs: int  # pairs in the file
    evaluated: int  # pairs that entered the correlations
    oov: int  # pairs with an unknown word
    spearman: float  # nan when fewer than two pairs are known
    pearson: float
    case_insensitive: bool = True
    from_ngrams: int = 0  # pairs evaluated with a word out of the vocabulary (from its n-grams alone)
    subwords: bool = False  # the model has n-grams

    @property
    def oov_ratio(self) -> float:
        """Fraction of the pairs with an unknown word (gensim reports it in percent)."""
        return self.oov / self.pairs if self.pairs else 0.0

    def to_dict(self) -> dict:
        out = asdict(self)
        if not self.subwords:  # plain vectors: the keys they always had
            del out["from_ngrams"], out["subwords"]
        out["oov_ratio"] = self.oov_ratio
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


@dataclass
class EvaluationReport:
    """Everything ``fastw2v eval`` measures on one vectors file."""

    vectors: str
    words: int
    dim: int
    analogies: AnalogyResult | None
    similarity: list[WordPairResult]
    subwords: dict | None = None  # {"minn", "maxn", "bucket"} of a model with n-grams

    def to_dict(self) -> dict:
        out = {"vectors": self.vectors, "words": self.words, "dim": self.dim,
               "analogies": self.analogies.to_dict() if self.analogies else None,
               "similarity": [r.to_dict() for r in self.similarity]}
        if self.subwords:
            out["subwords"] = self.subwords
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def scores(self) -> dict[str, float | None]:
        """The headline numbers by name: ``analogy`` accuracy (0-1) and the Spearman
        correlation of each word-pair file, named by its file name without suffix."""
        out: dict[str, float | None] = {}
        if self.analogies:
            out["analogy"] = round(self.analogies.accuracy, 6)
        for r in self.similarity:
            out[Path(r.path).stem] = None if math.isnan(r.spearman) else round(r.spearman, 6)
        return out

    def format(self) -> str:
        """A human-readable report: tables for analogies and word pairs."""
        parts = [f"{self.vectors}: {self.words:,} words, {self.dim} dimensions"]
        if self.subwords:
            parts[0] += (f", n-grams of {self.subwords['minn']}-{self.subwords['maxn']} characters in "
                         f"{self.subwords['bucket']:,} buckets (unseen words answered from n-grams)")
        if self.analogies:
            parts.append(format_analogies(self.analogies))
        if self.similarity:
            parts.append(format_word_pairs(self.similarity))
        return "\n\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Data files


def default_data_file(name: str) -> Path:
    """An evaluation set shipped inside the package (``fastw2v/data/``); an error if it is missing."""
    path = DATA_DIR / name
    if not path.is_file():  # only when the installation lost it: the wheel holds every default
        raise FastW2VError(f"default evaluation file {name} not found in {DATA_DIR} (the fastw2v "
                           "installation is incomplete; reinstall it): pass {analogies} "
                           "and/or {similarity} explicitly", fields=("analogies", "similarity"))
    return path


def _lines(path: str | os.PathLike):
    path = Path(path)
    if not path.is_file():
        raise FastW2VError(f"evaluation file not found: {path}" if not path.exists()
                           else f"evaluation path is not a file: {path}")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise FastW2VError(f"cannot read {path}: {exc.strerror or exc}") from None
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    return enumerate(text.splitlines(), 1)


def read_analogies(path: str | os.PathLike) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Sections of an analogy file: ``[(name, [(a, b, c, d), ...]), ...]``.

    Questions before the first ``: name`` line form a section named after the file.
    """
    path = Path(path)
    sections: list[tuple[str, list]] = []
    for lineno, line in _lines(path):
        if line.startswith(":"):
            sections.append((line.lstrip(": ").strip(), []))
            continue
        words = line.split()
        if not words:
            continue
        if len(words) != 4:
            raise FastW2VError(f"{path}:{lineno}: expected an analogy question of 4 words, "
                               f"got {len(words)}")
        if not sections:
            sections.append((path.stem, []))
        sections[-1][1].append(tuple(words))
    if not any(questions for _, questions in sections):
        raise FastW2VError(f"{path}: no analogy questions found (expected ': section' lines "
                           f"and 'a b c d' questions)")
    return sections


def read_word_pairs(path: str | os.PathLike) -> list[tuple[str, str, float]]:
    """``(word1, word2, score)`` triples of a word-pair file.

    Fields are separated by tabs, or by spaces when a line has no tab. Blank lines and
    ``#`` comments are skipped, and so is a first line whose score is not a number (a
    column header).
    """
    path = Path(path)
    pairs: list[tuple[str, str, float]] = []
    seen_data = False
    for lineno, line in _lines(path):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")] if "\t" in line else line.split()
        if len(fields) != 3:
            raise FastW2VError(f"{path}:{lineno}: expected 'word1 word2 score', got {len(fields)} fields")
        try:
            score = float(fields[2])
        except ValueError:
            if seen_data:
                raise FastW2VError(f"{path}:{lineno}: score {fields[2]!r} is not a number") from None
            seen_data = True  # a header line
            continue
        seen_data = True
        pairs.append((fields[0], fields[1], score))
    if not pairs:
        raise FastW2VError(f"{path}: no word pairs found (expected 'word1 word2 score' lines)")
    return pairs


# ---------------------------------------------------------------------------------------------
# Vocabulary under evaluation


class _Keys:
    """The first ``n`` words as evaluation keys: upper-cased if case-insensitive.

    ``row[key]`` is the first row with that key (gensim's ``ok_vocab``), ``first[r]`` the
    first row with the key of row r, and ``variants`` maps a first row to the rows of
    its other case variants (when there are any).
    """

    def __init__(self, wv: WordVectors, n: int, case_insensitive: bool):
        words = wv.words[:n]
        keys = [w.upper() for w in words] if case_insensitive else words
        self.case_insensitive = case_insensitive
        self.row: dict[str, int] = {}
        self.variants: dict[int, list[int]] = {}
        first = np.empty(len(keys), dtype=np.int64)
        for r, key in enumerate(keys):
            f = self.row.setdefault(key, r)
            first[r] = f
            if f != r:
                self.variants.setdefault(f, []).append(r)
        self.first = first

    def key(self, word: str) -> str:
        return word.upper() if self.case_insensitive else word


class _Outside:
    """Vectors of words outside the first ``n`` (the evaluation keys) of a model with subwords.

    A word the model knows further on gets its vocabulary vector (with case
    insensitivity, its first case variant's); any other its n-gram vector. ``kind``
    per word: 0 no vector (no n-grams), 1 vocabulary vector, 2 from n-grams alone.
    """

    def __init__(self, wv: WordVectors, keys: _Keys, n: int, words: list[str]):
        self.index = {w: i for i, w in enumerate(words)}
        self.vectors = np.zeros((len(words), wv.dim), dtype=np.float32)
        self.kind = np.zeros(len(words), dtype=np.int8)
        self.unit = self.vectors
        if not words:
            return
        full = _Keys(wv, len(wv), keys.case_insensitive).row if n < len(wv) else {}
        unseen = []
        for i, w in enumerate(words):
            row = full.get(keys.key(w))
            if row is not None:
                self.vectors[i] = wv.vectors[row]
                self.kind[i] = 1
            else:
                unseen.append(i)
        if unseen:
            built, used = wv.subwords.mean_vectors([words[i] for i in unseen])
            unseen_arr = np.array(unseen, dtype=np.int64)
            self.vectors[unseen_arr] = built
            self.kind[unseen_arr] = np.where(used > 0, 2, 0)
        self.unit = unit_rows(self.vectors)

    def get(self, word: str) -> tuple[int, int]:
        """(position among the words, kind) of ``word``."""
        i = self.index[word]
        return i, int(self.kind[i])


def _outside_words(keys: _Keys, questions) -> list[str]:
    """The distinct words of ``questions`` (tuples of words) without an evaluation key."""
    seen: dict[str, None] = {}
    for words in questions:
        for w in words:
            if keys.key(w) not in keys.row:
                seen.setdefault(w)
    return list(seen)


def _restricted(wv: WordVectors, restrict_vocab: int | None) -> int:
    if restrict_vocab is not None and restrict_vocab < 0:
        raise FastW2VError(f"restrict_vocab must be 0 or more (got {restrict_vocab})")
    return len(wv) if not restrict_vocab else min(restrict_vocab, len(wv))


# ---------------------------------------------------------------------------------------------
# Analogies


def evaluate_analogies(vectors, path: str | os.PathLike | None = None, *,
                       restrict_vocab: int | None = DEFAULT_RESTRICT_VOCAB, case_insensitive: bool = True,
                       method: str = "3cosadd", dummy4unknown: bool = False) -> AnalogyResult:
    """Accuracy on an analogy file (default: the shipped ``questions-words.txt``).

    ``vectors``: a :class:`~fastw2v.vectors.query.WordVectors`, a vectors file or a trained
    model. ``restrict_vocab``: only the first N words take part (0 or None: all).
    ``dummy4unknown``: count questions with unknown words as wrong instead of
    skipping them. Equal to gensim's ``evaluate_word_analogies`` with the same arguments
    (for vectors without subwords; with subwords see the module's notes).
    """
    start = time.perf_counter()
    wv = as_word_vectors(vectors)
    method = check_analogy_method(method)
    path = Path(path) if path is not None else default_data_file(DEFAULT_ANALOGIES)
    sections = read_analogies(path)
    n = _restricted(wv, restrict_vocab)
    keys = _Keys(wv, n, case_insensitive)

    outside = None  # vectors for question words a, b, c outside the candidates (subwords only)
    if wv.subwords is not None:
        asked = [words[:3] for _, qs in sections for words in qs if keys.key(words[3]) in keys.row]
        outside = _Outside(wv, keys, n, _outside_words(keys, asked))

    questions: list[tuple[int, int, int, int]] = []
    owner: list[int] = []  # section of each answerable question
    results = [AnalogySection(name) for name, _ in sections]
    for s, (_, qs) in enumerate(sections):
        for words in qs:
            rows = [keys.row.get(keys.key(w)) for w in words]
            from_ngrams = False
            if outside is not None and rows[3] is not None:
                for k in range(3):
                    if rows[k] is None:
                        i, kind = outside.get(words[k])
                        if kind:
                            rows[k] = n + i  # a row of the question vectors after the candidates
                            from_ngrams |= kind == 2
            if None in rows:
                results[s].oov += 1
                if dummy4unknown:
                    results[s].evaluated += 1
                continue
            questions.append(tuple(rows))
            owner.append(s)
            results[s].from_ngrams += from_ngrams
    if questions:
        q = np.array(questions, dtype=np.int64)
        predicted = solve_analogies(wv.unit[:n], q[:, :3], method, keys.variants,
                                    extra=outside.unit if outside is not None and len(outside.index) else None)
        right = (predicted >= 0) & (keys.first[predicted] == q[:, 3])
        owner_arr = np.array(owner, dtype=np.int64)
        correct = np.bincount(owner_arr[right], minlength=len(results))
        answered = np.bincount(owner_arr, minlength=len(results))
        for s, section in enumerate(results):
            section.correct += int(correct[s])
            section.evaluated += int(answered[s])

    semantic, syntactic, total = (AnalogySection(name) for name in
                                  ("semantic", "syntactic", "Total accuracy"))
    for section in results:
        (syntactic if section.name.startswith("gram") else semantic).add(section)
        total.add(section)
    return AnalogyResult(path=str(path), method=method, restrict_vocab=n, words=len(wv),
                         case_insensitive=case_insensitive, sections=results, semantic=semantic,
                         syntactic=syntactic, total=total, seconds=time.perf_counter() - start,
                         subwords=wv.subwords is not None)


def solve_analogies(unit: np.ndarray, abc: np.ndarray, method: str = "3cosadd",
                    variants: dict[int, list[int]] | None = None,
                    extra: np.ndarray | None = None) -> np.ndarray:
    """Answer "a is to b as c is to ?" for each row ``(a, b, c)`` of ``abc``.

    ``unit``: unit-length vectors of the candidate words; ``abc``: their rows. The answer
    is the best row other than a, b, c (and the rows listed in ``variants`` for any
    of them), by 3CosAdd or 3CosMul, or -1 if there is none. ``extra``: unit vectors
    of question words that are no candidates; row ``len(unit) + i`` of ``abc`` means
    ``extra[i]``. Questions go in batches, one matrix product each.
    """
    method = check_analogy_method(method)
    n_words = len(unit)
    n_questions = len(abc)
    variants = variants or {}
    # Extra rows to exclude (case variants of a question word): (question, row) pairs.
    extra_q, extra_r = [], []
    if variants:
        for i, question in enumerate(abc.tolist()):
            for r in question:
                for v in variants.get(r, ()):
                    extra_q.append(i)
                    extra_r.append(v)
    extra_q_arr = np.array(extra_q, dtype=np.int64)
    extra_r_arr = np.array(extra_r, dtype=np.int64)

    if method == "3cosmul":
        return _solve_cosmul(unit, abc, extra_q_arr, extra_r_arr, extra)
    batch = max(1, min(1024, _SCORES_PER_BATCH // max(1, n_words)))
    predicted = np.empty(n_questions, dtype=np.int64)
    unit_t = np.ascontiguousarray(unit.T)
    for start in range(0, n_questions, batch):
        end = min(n_questions, start + batch)
        a, b, c = (abc[start:end, k] for k in range(3))
        ua, ub, uc = (_gather(unit, extra, r) for r in (a, b, c))
        scores = (ub + uc - ua) @ unit_t  # cosine with b - a + c, up to its length
        rows = np.arange(end - start)
        for r in (a, b, c):
            candidate = r < n_words
            scores[rows[candidate], r[candidate]] = -np.inf
        if len(extra_q_arr):
            sel = (extra_q_arr >= start) & (extra_q_arr < end)
            scores[extra_q_arr[sel] - start, extra_r_arr[sel]] = -np.inf
        best = np.argmax(scores, axis=1)
        best[np.isneginf(scores[rows, best])] = -1  # every candidate excluded: no answer
        predicted[start:end] = best
    return predicted


def _gather(unit: np.ndarray, extra: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    """``unit[rows]``, where a row past the end of ``unit`` means a row of ``extra``."""
    if extra is None:
        return unit[rows]
    out = np.empty((len(rows), unit.shape[1]), dtype=np.float32)
    inside = rows < len(unit)
    out[inside] = unit[rows[inside]]
    out[~inside] = extra[rows[~inside] - len(unit)]
    return out


def _solve_cosmul(unit: np.ndarray, abc: np.ndarray, extra_q: np.ndarray,
                  extra_r: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
    """3CosMul answers. Per batch, one matrix product gives the shifted cosines of the
    batch's distinct question words with every word; a Numba loop combines them."""
    n_words, n_questions = len(unit), len(abc)
    # Rows to exclude per question, as CSR: a, b, c, then any case variants.
    counts = np.full(n_questions, 3, dtype=np.int64) + np.bincount(extra_q, minlength=n_questions)
    ptr = np.zeros(n_questions + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(counts)
    excluded = np.empty(ptr[-1], dtype=np.int64)
    excluded[ptr[:-1, None] + np.arange(3)] = abc[:, :3]
    if len(extra_q):
        order = np.argsort(extra_q, kind="stable")
        q_sorted = extra_q[order]
        rank_in_q = np.arange(len(q_sorted)) - np.searchsorted(q_sorted, q_sorted)
        excluded[ptr[q_sorted] + 3 + rank_in_q] = extra_r[order]

    batch = max(1, min(1024, _SCORES_PER_BATCH // (3 * max(1, n_words))))
    predicted = np.empty(n_questions, dtype=np.int64)
    unit_t = np.ascontiguousarray(unit.T)
    for start in range(0, n_questions, batch):
        end = min(n_questions, start + batch)
        rows, inverse = np.unique(abc[start:end, :3], return_inverse=True)
        shifted = (1 + _gather(unit, extra, rows) @ unit_t) / 2  # gensim's (1 + cos) / 2, float32
        inverse = inverse.reshape(-1, 3)
        predicted[start:end] = _cosmul_argmax(shifted, np.ascontiguousarray(inverse),
                                              ptr[start:end + 1], excluded, np.float32(COSMUL_EPSILON))
    return predicted


@njit(parallel=True, cache=True)
def _cosmul_argmax(shifted, abc, ptr, excluded, eps):
    """Per question (rows of ``shifted`` for a, b, c): argmax of sb * sc / (sa + eps),
    skipping the rows ``excluded[ptr[q]:ptr[q + 1]]``."""
    n = abc.shape[0]
    out = np.empty(n, dtype=np.int64)
    for q in prange(n):
        sa = shifted[abc[q, 0]]
        sb = shifted[abc[q, 1]]
        sc = shifted[abc[q, 2]]
        best = -np.inf
        arg = -1
        for j in range(shifted.shape[1]):
            score = sb[j] * sc[j] / (sa[j] + eps)
            if score > best:
                skip = False
                for k in range(ptr[q], ptr[q + 1]):
                    if excluded[k] == j:
                        skip = True
                if not skip:
                    best = score
                    arg = j
        out[q] = arg
    return out

# ---------------------------------------------------------------------------------------------
# Word pairs


def evaluate_word_pairs(vectors, path: str | os.PathLike, *, restrict_vocab: int | None = None,
                        case_insensitive: bool = True, dummy4unknown: bool = False) -> WordPairResult:
    """Spearman and Pearson correlation of cosines with the human scores of a word-pair file.

    Pairs with a word outside the first ``restrict_vocab`` words (None or 0: all) are
    left out, or with ``dummy4unknown`` given similarity 0. Equal to gensim's
    ``evaluate_word_pairs`` with the same arguments. With subwords, such a word gets
    the model's vector for it (see the module's notes) and the pair is left out only
    when the word has no n-gram.
    """
    wv = as_word_vectors(vectors)
    path = Path(path)
    pairs = read_word_pairs(path)
    n = _restricted(wv, restrict_vocab)
    keys = _Keys(wv, n, case_insensitive)
    outside = None
    if wv.subwords is not None:
        outside = _Outside(wv, keys, n, _outside_words(keys, [(w1, w2) for w1, w2, _ in pairs]))

    def vector(word: str, row: int | None) -> tuple[np.ndarray | None, bool]:
        if row is not None:
            return wv.vectors[row], False
        if outside is None:
            return None, False
        i, kind = outside.get(word)
        return (outside.vectors[i] if kind else None), kind == 2

    gold, model = [], []
    oov = from_ngrams = 0
    for w1, w2, score in pairs:
        v1, built1 = vector(w1, keys.row.get(keys.key(w1)))
        v2, built2 = vector(w2, keys.row.get(keys.key(w2)))
        if v1 is None or v2 is None:
            oov += 1
            if dummy4unknown:
                gold.append(score)
                model.append(0.0)
            continue
        from_ngrams += built1 or built2
        gold.append(score)
        model.append(_cosine(v1, v2))
    gold_arr = np.array(gold, dtype=np.float64)
    model64 = np.array(model, dtype=np.float64)
    return WordPairResult(path=str(path), pairs=len(pairs), evaluated=len(gold), oov=oov,
                          spearman=spearman(gold_arr, model64), pearson=pearson(gold_arr, model64),
                          case_insensitive=case_insensitive, from_ngrams=from_ngrams,
                          subwords=wv.subwords is not None)


def _cosine(v1: np.ndarray, v2: np.ndarray) -> float:
    """Cosine of two vectors, rounded exactly as gensim's ``similarity`` rounds it.

    gensim scales each vector in float64 (BLAS dnrm2 and dscal), rounds it to float32
    and takes a float32 dot product. Doing the same keeps pairs whose cosines
    differ by one float32 step (or tie) in the same rank order as gensim's, so that
    Spearman's coefficient matches to 1e-6 and better; there are only ~1000 pairs.
    """
    return float(np.dot(_unit_like_gensim(v1), _unit_like_gensim(v2)))


def _unit_like_gensim(v: np.ndarray) -> np.ndarray:
    v64 = v.astype(np.float64)
    norm = math.sqrt(float(v64 @ v64))
    return (v64 * (1.0 / norm)).astype(np.float32) if norm > 0 else v


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's correlation coefficient (nan for fewer than 2 points or a constant input)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 2:
        return math.nan
    dx, dy = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denom if denom > 0 else math.nan


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's on ranks, ties given their average rank."""
    return pearson(rank(x), rank(y))


def rank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, tied values sharing their average rank (scipy's ``rankdata``)."""
    x = np.asarray(x)
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    bounds = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    average = (bounds[:-1] + bounds[1:] + 1) / 2.0  # mean of ranks bounds[k]+1 .. bounds[k+1]
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat(average, np.diff(bounds))
    return ranks


# ---------------------------------------------------------------------------------------------
# Both, as the command line does it


def evaluate(vectors, analogies: str | os.PathLike | None = None,
             similarity: list[str | os.PathLike] | None = None, *,
             restrict_vocab: int | None = DEFAULT_RESTRICT_VOCAB, case_insensitive: bool = True,
             method: str = "3cosadd", limit: int | None = None) -> EvaluationReport:
    """Analogies and word-pair similarity on one set of vectors.

    With neither ``analogies`` nor ``similarity`` given, the shipped sets are used
    (``questions-words.txt``, ``wordsim353.tsv``, ``simlex999.txt``); otherwise only
    the files given. ``restrict_vocab`` applies to the analogies; word pairs use
    every word read (``limit`` caps how many are read from a file).
    """
    if analogies is None and not similarity:
        analogies = default_data_file(DEFAULT_ANALOGIES)
        similarity = [default_data_file(f) for f in DEFAULT_SIMILARITY]
    check_analogy_method(method)
    if analogies is not None:  # a bad data file fails before a big vectors file is read
        read_analogies(analogies)
    for path in similarity or []:
        read_word_pairs(path)
    name = str(vectors) if isinstance(vectors, (str, os.PathLike)) else repr(vectors)
    wv = as_word_vectors(vectors, limit=limit)
    result = None
    if analogies is not None:
        result = evaluate_analogies(wv, analogies, restrict_vocab=restrict_vocab,
                                    case_insensitive=case_insensitive, method=method)
    pairs = [evaluate_word_pairs(wv, p, case_insensitive=case_insensitive) for p in similarity or []]
    sub = wv.subwords
    return EvaluationReport(vectors=name, words=len(wv), dim=wv.dim, analogies=result, similarity=pairs,
                            subwords={"minn": sub.minn, "maxn": sub.maxn, "bucket": sub.bucket} if sub else None)


# ---------------------------------------------------------------------------------------------
# Human-readable tables


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def format_analogies(result: AnalogyResult) -> str:
    """A table: correct / answered, accuracy and OOV questions per section, then totals."""
    method = {"3cosadd": "3CosAdd", "3cosmul": "3CosMul"}[result.method]
    case = "case-insensitive" if result.case_insensitive else "case-sensitive"
    among = (f"all {result.words:,} words" if result.restrict_vocab >= result.words
             else f"first {result.restrict_vocab:,} words")
    title = f"Analogies: {result.path} ({method}, {among}, {case}, {result.seconds:.1f} s)"

    width = max(len("section"), *(len(s.name) for s in result.sections))
    header = f"{'section':<{width}}  {'correct':>8}  {'answered':>8}  {'accuracy':>8}  {'oov':>6}"
    if result.subwords:
        header += f"  {'ngrams':>6}"
    rule = "-" * len(header)

    def row(s: AnalogySection) -> str:
        accuracy = _percent(s.correct, s.evaluated)
        line = f"{s.name:<{width}}  {s.correct:>8,}  {s.evaluated:>8,}  {accuracy:>8}  {s.oov:>6,}"
        return line + f"  {s.from_ngrams:>6,}" if result.subwords else line

    total = result.total
    lines = [title, header, rule, *(row(s) for s in result.sections), rule,
             row(result.semantic), row(result.syntactic),
             row(AnalogySection("total", total.correct, total.evaluated, total.oov, total.from_ngrams))]
    scope = among.removeprefix("all ")
    asked = total.oov + total.evaluated
    if not result.subwords:
        lines.append(f"{total.oov:,} of {asked:,} questions skipped: a word is not among the {scope}")
    else:
        lines.append(f"{total.oov:,} of {asked:,} questions skipped: the answer is not among the {scope}, "
                     f"or a question word has no n-grams")
        lines.append(f"{total.from_ngrams:,} of {asked:,} questions answered from n-grams (ngrams): a "
                     f"question word is out of the vocabulary")
    return "\n".join(lines)


def format_word_pairs(results: list[WordPairResult]) -> str:
    """A table: pairs, OOV ratio, Spearman and Pearson per word-pair file."""
    width = max(len("file"), *(len(Path(r.path).name) for r in results))
    header = f"{'file':<{width}}  {'pairs':>6}  {'oov':>6}  {'spearman':>8}  {'pearson':>8}"
    subwords = any(r.subwords for r in results)
    if subwords:
        header += f"  {'ngrams':>6}"

    def number(x: float) -> str:
        return "-" if math.isnan(x) else f"{x:.4f}"

    lines = ["Word similarity (cosine vs human scores)", header, "-" * len(header)]
    for r in results:
        line = (f"{Path(r.path).name:<{width}}  {r.pairs:>6,}  {_percent(r.oov, r.pairs):>6}  "
                f"{number(r.spearman):>8}  {number(r.pearson):>8}")
        lines.append(line + f"  {r.from_ngrams:>6,}" if subwords else line)
    if subwords:
        lines.append("ngrams: pairs answered from n-grams (a word out of the vocabulary); "
                     "oov: pairs left out")
    return "\n".join(lines)
