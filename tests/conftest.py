"""Shared helpers for the fastw2v test suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
TEXT8 = DATA / "text8_head10M.txt.gz"
EVAL_SETS = REPO / "fastw2v" / "data"  # shipped inside the package
WORDSIM = EVAL_SETS / "wordsim353.tsv"

# Import the package from this checkout whatever the current directory: the venv's
# editable install may resolve ``fastw2v`` to a namespace package when the tests
# are started from elsewhere (and ``fastw2v.train`` then fails to import).
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# ---------------------------------------------------------------- reference model
# An independent, deliberately naive statement of the corpus rules, written from
# the specification (not from the implementation):
#   * a token is a maximal run of bytes that are not ASCII whitespace;
#   * a newline ends a sentence, and so does the end of each file;
#   * a line longer than max_sentence_length tokens is cut every
#     max_sentence_length *raw* tokens (before out-of-vocabulary removal);
#   * words are decoded from UTF-8 with replacement;
#   * vocabulary order: count descending, ties by the word (Python str order).
_NOT_NEWLINE_WS = re.compile(rb"[ \t\v\f\r]+")


def ref_sentences(files: list[bytes], max_sentence_length: int) -> list[list[bytes]]:
    """Raw byte tokens per sentence, before any vocabulary filtering."""
    out = []
    for data in files:
        for line in data.split(b"\n"):
            tokens = [t for t in _NOT_NEWLINE_WS.split(line) if t]
            for i in range(0, len(tokens), max_sentence_length):
                out.append(tokens[i:i + max_sentence_length])
    return out


def ref_byte_counts(sentences: list[list[bytes]], max_vocab_size: int = 0) -> dict[bytes, int]:
    """Count byte tokens; with max_vocab_size > 0, prune like word2vec.c's ReduceVocab.

    When the table holds max_vocab_size distinct words and a new word arrives, every
    word seen at most min_reduce times is forgotten (min_reduce starts at 1 and grows
    by one after each prune), repeatedly until the table is below the limit.
    """
    counts: dict[bytes, int] = {}
    min_reduce = 1
    for sentence in sentences:
        for t in sentence:
            if t not in counts:
                if max_vocab_size > 0:
                    while len(counts) >= max_vocab_size:
                        counts = {w: c for w, c in counts.items() if c > min_reduce}
                        min_reduce += 1
                counts[t] = 0
            counts[t] += 1
    return counts


def ref_vocab(byte_counts: dict[bytes, int], min_count: int) -> tuple[list[str], list[int]]:
    merged: Counter = Counter()
    for t, c in byte_counts.items():
        merged[t.decode("utf-8", "replace")] += c
    kept = sorted(((w, c) for w, c in merged.items() if c >= min_count), key=lambda wc: (-wc[1], wc[0]))
    return [w for w, _ in kept], [c for _, c in kept]


def ref_encode(sentences: list[list[bytes]], words: list[str]) -> list[list[str]]:
    vocab = set(words)
    out = []
    for sentence in sentences:
        kept = [w for w in (t.decode("utf-8", "replace") for t in sentence) if w in vocab]
        if kept:
            out.append(kept)
    return out


def decoded_sentences(vocab, encoded) -> list[list[str]]:
    """An EncodedCorpus back as lists of words."""
    out = []
    start = 0
    for end in encoded.sentence_ends.tolist():
        out.append([vocab.words[i] for i in encoded.tokens[start:end].tolist()])
        start = end
    return out


# ---------------------------------------------------------------- temporary caches
@pytest.fixture(scope="session", autouse=True)
def system_tmp(tmp_path_factory) -> Path:
    """The system temporary directory as fastw2v sees it in the tests, in-process
    (``tempfile.tempdir``) and in subprocesses (``TMPDIR``): default, temporary token
    caches go there, so that tests can check that runs leave nothing behind."""
    d = tmp_path_factory.mktemp("systmp")
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(d)
    os.environ["TMPDIR"] = str(d)
    yield d
    tempfile.tempdir = saved[0]
    if saved[1] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved[1]


def run_directories() -> set[str]:
    """The temporary token caches (``fastw2v-run-*``) now in the tests' temporary directory."""
    return {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("fastw2v-run-")}


# ---------------------------------------------------------------- command line
def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "160"  # rich formats help for the terminal width; keep it deterministic
    env.pop("NUMBA_DISABLE_JIT", None)
    return env


def run_cli(args: list[str], cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m fastw2v.cli ARGS`` in a subprocess; return the completed process."""
    return subprocess.run([sys.executable, "-m", "fastw2v.cli", *map(str, args)], cwd=cwd,
                          env=cli_env(), capture_output=True, text=True, timeout=timeout)


def fastw2v_script() -> list[str]:
    """The installed ``fastw2v`` console script (next to the interpreter), or ``-m``."""
    script = Path(sys.executable).parent / "fastw2v"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "fastw2v.cli"]


class TerminalRun:
    """``fastw2v ARGS`` with stderr on a pseudo-terminal, so that progress bars are drawn.

    :meth:`read_until` reads what the command shows until a condition holds (to act
    at a known point of the run, e.g. once training has visibly started);
    :meth:`finish` reads the rest and waits for the exit status. :meth:`frames` parses
    the bars drawn, without the terminal's control sequences.
    """

    def __init__(self, args: list, cwd: Path | None = None):
        import fcntl
        import pty
        import struct
        import termios

        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        env = cli_env()
        env["TERM"] = "xterm-256color"
        self.proc = subprocess.Popen([*fastw2v_script(), *map(str, args)], cwd=cwd, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        self.master = master
        self.raw = b""
        self.closed = False

    def _read(self, timeout: float) -> bool:
        """Read what is there within ``timeout`` s; False once the command's end is reached."""
        import select

        if self.closed:
            return False
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 1 << 16)
        except OSError:  # EIO: the terminal's other side is closed, the command has ended
            data = b""
        if not data:
            self.closed = True
            os.close(self.master)
            return False
        self.raw += data
        return True

    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def read_until(self, condition, timeout: float = 120) -> bool:
        """Read until ``condition(self)`` holds (True) or the command ends (False)."""
        import time

        deadline = time.monotonic() + timeout
        while not condition(self):
            if not self._read(0.05):
                return condition(self)
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"timed out waiting; shown so far:\n{self.plain()[-2000:]}")
        return True

    def finish(self, timeout: float = 300) -> int:
        self.read_until(lambda run: False, timeout)
        return self.proc.wait(timeout=30)

    def plain(self) -> str:
        """What was shown, without control sequences, carriage returns cut into lines."""
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.text())
        return "\n".join(part for line in text.split("\n") for part in line.split("\r") if part.strip())

    def lines(self) -> list[str]:
        """The lines that are not progress bars."""
        return [ln for ln in self.plain().split("\n") if not BAR.match(ln)]

    def frames(self, phase: str) -> list[dict]:
        """Every drawing of the ``phase`` bar: percent (int), info (str), eta (str)."""
        out = []
        for line in self.plain().split("\n"):
            m = BAR.match(line)
            if m and m["phase"] == phase:
                out.append({"percent": int(m["percent"]), "info": m["info"].strip(), "eta": m["eta"]})
        return out


# One drawing of a progress bar: "training  ━━━━╸━━━  25% 1.96M words/s  lr 1.87e-02 ETA 0:00:01"
BAR = re.compile(r"^(?P<phase>\w+)\s+[\u2500-\u257f ]*?\s*(?P<percent>\d+)%(?P<info>.*?)\s*ETA\s+"
                 r"(?P<eta>\S+)\s*$")


# ---------------------------------------------------------------- shared data
@pytest.fixture(scope="session")
def text8_words() -> list[str]:
    """The bundled text8 sample, split by a plain Python reader (independent of fastw2v)."""
    import gzip
    with gzip.open(TEXT8, "rb") as f:
        return f.read().decode("ascii").split()


@pytest.fixture(scope="session")
def text8_counts(text8_words) -> Counter:
    return Counter(text8_words)


def topic_corpus(n_groups: int = 12, group_size: int = 12, n_sentences: int = 4000,
                 sentence_length: int = 10, seed: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    """Sentences that each draw all their words from one of ``n_groups`` disjoint groups.

    Words of a group share all their contexts, so a working trainer must put them
    close together. Returns (sentences, groups).
    """
    rng = np.random.default_rng(seed)
    groups = [[f"g{g}w{i}" for i in range(group_size)] for g in range(n_groups)]
    sentences = []
    for _ in range(n_sentences):
        g = groups[rng.integers(n_groups)]
        sentences.append([g[i] for i in rng.integers(group_size, size=sentence_length)])
    return sentences, groups


def group_purity(model, groups: list[list[str]]) -> float:
    """Fraction of words whose nearest neighbour (cosine) lies in the same group."""
    words = [w for g in groups for w in g]
    label = {w: k for k, g in enumerate(groups) for w in g}
    x = np.stack([model[w] for w in words]).astype(np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    nearest = sim.argmax(axis=1)
    return float(np.mean([label[words[i]] == label[words[j]] for i, j in enumerate(nearest)]))
