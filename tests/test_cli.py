"""The ``fastw2v`` command line: every bad input is one clear line and exit 2 with
no output file (issue 2, part 7), aliases, vocabulary files and help (part 8).

Bad inputs are run through a real subprocess (``python -m fastw2v.cli``: exit
status, stderr, no traceback, no output file appears) and again in-process
through ``fastw2v.cli.main`` with an existing output file (its bytes must not
change).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    TEXT8,
    TerminalRun,
    cli_env,
    fastw2v_script,
    run_cli,
    run_directories,
)
from gensim.models import KeyedVectors

from fastw2v import load_word2vec
from fastw2v.cli import main

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CORPUS_TEXT = b"the quick brown fox jumps over the lazy dog\n" * 20 + b"a fox and a dog\n" * 10
SENTINEL = b"existing vectors, must survive\n"
# Small, fast, deterministic training for the runs that succeed.
FAST = ["--dim", "8", "--epochs", "1", "--threads", "1", "--min-count", "1", "--quiet"]


def corpus(d: Path, name: str = "corpus.txt", data: bytes = CORPUS_TEXT) -> Path:
    path = d / name
    path.write_bytes(data)
    return path


def gz_with_corrupt_body(data: bytes) -> bytes:
    raw = bytearray(gzip.compress(data))
    for i in range(20, 60):  # inside the deflate stream, past the 10-byte header
        raw[i] ^= 0x5A
    return bytes(raw)


def gz_with_bad_crc(data: bytes) -> bytes:
    raw = bytearray(gzip.compress(data))
    raw[-6] ^= 1  # the CRC-32 in the trailer
    return bytes(raw)


def corrupt(compress, data: bytes) -> bytes:
    raw = bytearray(compress(data))
    for i in range(30, 60):
        raw[i] ^= 0x5A
    return bytes(raw)


# Each case: setup(d) -> (arguments, output path, fragments the message must contain).
def _missing_corpus(d):
    return [d / "missing.txt"], d / "out.txt", ["not found", "missing.txt"]


def _corpus_is_directory(d):
    (d / "adir").mkdir()
    return [d / "adir"], d / "out.txt", ["not a file", "adir"]


def _unreadable_corpus(d):
    path = corpus(d)
    path.chmod(0)
    return [path], d / "out.txt", ["not readable", "corpus.txt"]


def _one_missing_among_several(d):
    return [corpus(d), d / "gone.txt.gz"], d / "out.txt", ["not found", "gone.txt.gz"]


def _empty_corpus(d):
    return [corpus(d, data=b"")], d / "out.txt", ["empty", "corpus.txt"]


def _blank_corpus(d):
    return [corpus(d, data=b" \n\n\t \r\n")], d / "out.txt", ["empty"]


def _min_count(d):
    return [corpus(d, data=b"a b c a\n"), "--min-count", "5"], d / "out.txt", ["--min-count 5"]


def _option(name, value, *fragments):
    def setup(d):
        return [corpus(d), name, value], d / "out.txt", [*fragments]
    setup.__name__ = f"{name}={value}"
    return setup


def _output_in_missing_dir(d):
    return [corpus(d)], d / "nodir" / "out.txt", ["does not exist", "nodir"]


def _output_in_unwritable_dir(d):
    (d / "ro").mkdir()
    (d / "ro" / "out.txt").write_bytes(SENTINEL)
    (d / "ro").chmod(0o555)
    return [corpus(d)], d / "ro" / "out.txt", ["not writable", "ro"]


def _output_is_directory(d):
    (d / "outdir").mkdir()
    return [corpus(d)], d / "outdir", ["directory", "outdir"]


def _compressed(name, data_fn, *fragments):
    def setup(d):
        return [corpus(d, name, data_fn(CORPUS_TEXT))], d / "out.txt", ["cannot read", name, *fragments]
    setup.__name__ = name
    return setup


def _read_vocab_missing(d):
    return [corpus(d), "--read-vocab", d / "v.txt"], d / "out.txt", ["vocabulary", "v.txt"]


def _read_vocab_malformed(d):
    (d / "v.txt").write_text("the 3\nfox three\n")
    return [corpus(d), "--read-vocab", d / "v.txt"], d / "out.txt", ["v.txt:2", "word count"]


def _save_vocab_in_missing_dir(d):
    return [corpus(d), "--save-vocab", d / "nodir" / "v.txt"], d / "out.txt", ["does not exist", "nodir"]


CASES = [
    _missing_corpus, _corpus_is_directory,
    pytest.param(_unreadable_corpus, marks=pytest.mark.skipif(IS_ROOT, reason="root can read any file")),
    _one_missing_among_several, _empty_corpus, _blank_corpus, _min_count,
    _option("--dim", "0", "--dim", "at least 1"), _option("--dim", "-3", "--dim"),
    _option("--window", "0", "--window"), _option("--negative", "0", "--negative"),
    _option("--epochs", "0", "--epochs"), _option("--threads", "0", "--threads"),
    _option("--size", "0", "--dim"), _option("--iter", "0", "--epochs"),
    _option("--min-count", "0", "--min-count"), _option("--max-sentence-length", "0", "--max-sentence-length"),
    _option("--sample", "-0.001", "--sample"), _option("--alpha", "-0.5", "--alpha"),
    _option("--alpha", "nan", "--alpha"), _option("--min-alpha", "1", "--min-alpha"),
    _option("--model", "glove", "model", "glove"), _option("--cbow", "2", "--cbow"),
    _option("--batching", "bogus", "batching", "bogus"), _option("--ns-exponent", "-1", "--ns-exponent"),
    _option("--max-vocab-size", "-1", "--max-vocab-size"),
    _option("--dim", "abc", "--dim", "integer"), _option("--bogus-option", "1", "--bogus-option"),
    _output_in_missing_dir,
    pytest.param(_output_in_unwritable_dir,
                 marks=pytest.mark.skipif(IS_ROOT, reason="root can write anywhere")),
    _output_is_directory,
    _compressed("notgzip.gz", lambda b: b"this is not gzip data at all\n"),
    _compressed("truncated.txt.gz", lambda b: gzip.compress(b)[: len(gzip.compress(b)) // 2]),
    _compressed("badcrc.txt.gz", gz_with_bad_crc),
    pytest.param(_compressed("badbody.txt.gz", gz_with_corrupt_body), id="badbody.txt.gz"),
    _compressed("corpus.txt.bz2", lambda b: corrupt(bz2.compress, b)),
    _compressed("corpus.txt.xz", lambda b: corrupt(lzma.compress, b)),
    _read_vocab_missing, _read_vocab_malformed, _save_vocab_in_missing_dir,
]


def _case_id(case):
    return getattr(case, "__name__", None)


def check_error_line(stderr: str, fragments: list[str]) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip("\n").splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("fastw2v: error: "), line
    for fragment in fragments:
        assert fragment.lower() in line.lower(), (fragment, line)
    return line


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_bad_input_subprocess(tmp_path, case):
    args, out, fragments = case(tmp_path)
    before = set(os.listdir(out.parent)) if out.parent.is_dir() else None
    existed = out.exists()
    result = run_cli(["train", "--dim", "8", "--epochs", "1", "--threads", "1", "--quiet", "-o", out, *args],
                     cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    check_error_line(result.stderr, fragments)
    assert result.stdout == ""
    if not existed:
        assert not out.exists()
    if before is not None:  # no output and no temporary file appeared next to it
        assert set(os.listdir(out.parent)) == before


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_bad_input_keeps_existing_output(tmp_path, case, capsys):
    args, out, fragments = case(tmp_path)
    if out.parent.is_dir() and not out.is_dir() and os.access(out.parent, os.W_OK):
        out.write_bytes(SENTINEL)
    before = out.read_bytes() if out.is_file() else None
    code = main(["train", "--dim", "8", "--epochs", "1", "--threads", "1", "--quiet", "-o", str(out),
                 *map(str, args)])
    captured = capsys.readouterr()
    assert code == 2
    check_error_line(captured.err, fragments)
    if before is not None:
        assert out.read_bytes() == before


def test_unreadable_corpus_and_unwritable_output_simulated(tmp_path, capsys, monkeypatch):
    """The permission checks, exercised even as root by denying access in os.access."""
    path = corpus(tmp_path)
    (tmp_path / "ro").mkdir()
    real_access = os.access
    denied = {str(path): os.R_OK, str(tmp_path / "ro"): os.W_OK}

    def access(p, mode, *a, **k):
        if str(p) in denied and mode & denied[str(p)]:
            return False
        return real_access(p, mode, *a, **k)

    monkeypatch.setattr(os, "access", access)
    assert main(["train", str(path), "-o", str(tmp_path / "out.txt"), "--quiet"]) == 2
    check_error_line(capsys.readouterr().err, ["not readable", "corpus.txt"])
    out = tmp_path / "ro" / "out.txt"
    readable = corpus(tmp_path, "readable.txt")
    assert main(["train", str(readable), "-o", str(out), "--quiet", *FAST]) == 2
    check_error_line(capsys.readouterr().err, ["not writable", "ro"])
    assert not (tmp_path / "out.txt").exists() and not out.exists()


def test_read_vocab_with_unicode_digit_count(tmp_path):
    (tmp_path / "v.txt").write_text("the 3\nfox \u00b2\n", encoding="utf-8")
    result = run_cli(["train", corpus(tmp_path), "-o", tmp_path / "out.txt", "--read-vocab",
                      tmp_path / "v.txt", "--quiet"], cwd=tmp_path)
    assert result.returncode == 2
    check_error_line(result.stderr, ["v.txt:2"])


def test_read_vocab_all_below_min_count_names_min_count(tmp_path, capsys):
    (tmp_path / "v.txt").write_text("the 3\nfox 2\n")
    code = main(["train", str(corpus(tmp_path)), "-o", str(tmp_path / "out.txt"), "--read-vocab",
                 str(tmp_path / "v.txt"), "--min-count", "5", "--quiet"])
    assert code == 2
    check_error_line(capsys.readouterr().err, ["--min-count"])


def test_errors_before_reading_are_one_line_with_progress_on(tmp_path):
    # Without --quiet: problems found before any work still print just one line.
    result = run_cli(["train", corpus(tmp_path), "-o", tmp_path / "out.txt", "--window", "0"], cwd=tmp_path)
    assert result.returncode == 2
    check_error_line(result.stderr, ["--window"])


@pytest.mark.parametrize("data, fragment", [(b"", "empty"), (b"a b c\n", "--min-count")],
                         ids=["empty", "min-count"])
def test_errors_while_reading_are_one_line_with_progress_on(tmp_path, data, fragment):
    result = run_cli(["train", corpus(tmp_path, data=data), "-o", tmp_path / "out.txt"], cwd=tmp_path)
    assert result.returncode == 2
    check_error_line(result.stderr, [fragment])


# ---------------------------------------------------------------- successful runs
def test_cli_train_writes_loadable_vectors(tmp_path):
    out = tmp_path / "vec.txt"
    runs_before = run_directories()
    result = run_cli(["train", corpus(tmp_path), "-o", out, *FAST], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""  # --quiet
    words = Counter(CORPUS_TEXT.decode().split())
    kv = KeyedVectors.load_word2vec_format(str(out))
    assert sorted(kv.index_to_key) == sorted(words) and kv.vector_size == 8
    assert kv.index_to_key[0] == "the"  # the most frequent word first
    # nothing beside the output: the default token cache is temporary, and gone
    assert set(os.listdir(tmp_path)) == {"corpus.txt", "vec.txt"}
    assert run_directories() == runs_before

    binary = tmp_path / "vec.bin"
    result = run_cli(["train", corpus(tmp_path), "-o", binary, "--binary", *FAST], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    kvb = KeyedVectors.load_word2vec_format(str(binary), binary=True)
    # Same seed, one thread: the binary file holds exactly the text file's vectors.
    assert kvb.index_to_key == kv.index_to_key and np.array_equal(kvb.vectors, kv.vectors)


RATE = r"(?P<rate>[\d.]+)(?P<unit>[Mk]) words/s"


def parse_rate(match) -> float:
    return float(match["rate"]) * (1e6 if match["unit"] == "M" else 1e3)


def test_cli_progress_summary_without_quiet(tmp_path):
    """Without a terminal there are no bars, only the summary lines, in order: the
    vocabulary line, the training summary, and what was written."""
    epochs = 2
    args = ["--dim", "8", "--epochs", str(epochs), "--threads", "1", "--min-count", "1", "--no-cache"]
    out = tmp_path / "v.txt"
    result = run_cli(["train", corpus(tmp_path), "-o", out, *args], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    tokens = CORPUS_TEXT.decode().split()
    vocab = re.fullmatch(r"vocabulary: (?P<words>[\d,]+) words, corpus: (?P<tokens>[\d,]+) words in "
                         r"(?P<sentences>[\d,]+) sentences \(in memory, (?P<s>\d+\.\d) s\)", lines[0])
    assert vocab, lines[0]
    assert int(vocab["words"].replace(",", "")) == len(set(tokens)) == 10
    assert int(vocab["tokens"].replace(",", "")) == len(tokens) == 230
    assert int(vocab["sentences"].replace(",", "")) == CORPUS_TEXT.count(b"\n") == 30
    summary = re.fullmatch(r"trained (?P<n>[\d,]+) words in (?P<s>\d+\.\d) s \(" + RATE
                           + r", (?P<threads>\d+) threads\)", lines[1])
    assert summary, lines[1]
    trained = int(summary["n"].replace(",", ""))
    assert trained == epochs * len(tokens)
    assert summary["threads"] == "1"
    rate, seconds = parse_rate(summary), float(summary["s"])
    # The rate is words / seconds; the seconds are shown rounded to 0.1 s, the rate to
    # 3 digits (or to 1k words/s), so they agree to within those roundings.
    assert rate > 0 and abs(trained / rate - seconds) <= 0.05 + 0.2 * seconds + 1e-9
    assert lines[2] == f"wrote 10 vectors of 8 dimensions to {out}"


def test_cli_progress_bars_on_a_terminal(tmp_path, text8_words):
    """On a terminal, reading and training each draw a bar with percent done and an ETA.
    The reading bar shows the bytes and words read; the training bar shows words/s and the
    current learning rate, the linear decay at the percent shown. Then the summary line.

    Each number shown is rounded (percent to 1%, MB to 0.1, rates and the learning rate
    to 3 digits), so each check allows exactly that rounding, and none asserts a time:
    the words/s shown is words done / seconds since training began, so the seconds it
    implies may only grow from one drawing to the next and up to the summary's."""
    epochs = 2
    out = tmp_path / "v.txt"
    run = TerminalRun(["train", TEXT8, "-o", out, "--epochs", str(epochs), "--dim", "16", "--threads", "1",
                       "--no-cache"], cwd=tmp_path)
    assert run.finish() == 0, run.plain()
    eta = re.compile(r"-:--:--|\d+:\d\d:\d\d")
    for phase in ("reading", "training"):
        frames = run.frames(phase)
        assert frames, (phase, run.plain())
        percents = [f["percent"] for f in frames]
        assert percents == sorted(percents) and percents[-1] == 100, percents
        assert all(eta.fullmatch(f["eta"]) for f in frames), frames
        assert frames[-1]["eta"] == "0:00:00", frames  # nothing left once done

    # Reading: the bytes of the file as stored (.gz) and the words read so far.
    size_mb = TEXT8.stat().st_size / 1e6
    reading = [f for f in run.frames("reading") if f["info"]]
    assert reading, run.plain()
    words_read = []
    for f in reading:
        m = re.fullmatch(r"(?P<mb>[\d,.]+) MB, (?P<words>[\d,.]+)M words(, [\d,.]+ MB/s)?", f["info"])
        assert m, f
        mb = float(m["mb"].replace(",", ""))
        assert (f["percent"] - 0.5) / 100 * size_mb - 0.05 - 1e-9 <= mb <= \
            (f["percent"] + 0.5) / 100 * size_mb + 0.05 + 1e-9, f
        words_read.append(float(m["words"].replace(",", "")))
    assert words_read == sorted(words_read), reading
    assert reading[-1]["info"].startswith(f"{size_mb:,.1f} MB, {len(text8_words) / 1e6:,.2f}M words"), reading

    lines = run.lines()
    assert len(lines) == 3 and lines[0].startswith("vocabulary: ") and lines[2].startswith("wrote "), lines
    corpus_words = int(re.search(r"corpus: ([\d,]+) words", lines[0])[1].replace(",", ""))
    total = epochs * corpus_words
    summary = re.fullmatch(r"trained (?P<n>[\d,]+) words in (?P<s>[\d.]+) s \(" + RATE + r", 1 threads\)",
                           lines[1])
    assert summary and int(summary["n"].replace(",", "")) == total, lines[1]

    def rate_rounding(m) -> float:  # half a unit of the last digit shown: 0.01M or 1k words/s
        return 5e3 if m["unit"] == "M" else 500

    training = run.frames("training")
    shown = [f for f in training if f["percent"] > 0 and f["info"]]
    assert any(f["percent"] < 100 for f in shown), training  # at least one update along the way
    assert any(re.fullmatch(r"\d+:\d\d:\d\d", f["eta"]) for f in shown if f["percent"] < 100), training
    alpha, min_alpha = 0.025, 0.025 * 1e-4
    rates, seconds = [], []  # the learning rates shown; the (least, most) seconds each drawing implies
    for f in shown:
        m = re.fullmatch(RATE + r"  lr (?P<lr>\d\.\d\de-\d\d)", f["info"])
        assert m, f
        lr, half = float(m["lr"]), 0.5 * 10.0 ** (int(m["lr"][-3:]) - 2)
        # lr = alpha - (alpha - min_alpha) * fraction done: the fractions the lr and the
        # percent shown allow must overlap.
        lo = max((alpha - lr - half) / (alpha - min_alpha), (f["percent"] - 0.5) / 100)
        hi = min((alpha - lr + half) / (alpha - min_alpha), (f["percent"] + 0.5) / 100)
        assert lo <= hi + 1e-9, (f, lo, hi)
        rates.append(lr)
        words_per_s, r = parse_rate(m), rate_rounding(m)
        assert words_per_s > 0, f
        seconds.append((lo * total / (words_per_s + r), hi * total / (words_per_s - r) if words_per_s > r
                        else float("inf")))
    assert rates == sorted(rates, reverse=True), shown  # words done only grow: the lr only falls
    assert shown[-1]["info"].endswith(f"lr {min_alpha:.2e}"), shown  # all words done: min_alpha
    # The summary's seconds (to 0.1 s) and its words/s (3 digits) of the same words.
    s, words_per_s, r = float(summary["s"]), parse_rate(summary), rate_rounding(summary)
    seconds.append((max(s - 0.05, total / (words_per_s + r)), min(s + 0.05, total / (words_per_s - r))))
    assert seconds[-1][0] <= seconds[-1][1] + 1e-9, (lines[1], seconds[-1])
    for j in range(1, len(seconds)):
        assert max(lo for lo, _ in seconds[:j]) <= seconds[j][1] + 1e-9, (j, seconds, shown, lines[1])


def test_cli_multiple_and_compressed_corpora(tmp_path):
    half = CORPUS_TEXT.split(b"\n")
    a = corpus(tmp_path, "a.txt.gz", gzip.compress(b"\n".join(half[:15]) + b"\n"))
    b = corpus(tmp_path, "b.txt.xz", lzma.compress(b"\n".join(half[15:])))
    result = run_cli(["train", a, b, "-o", tmp_path / "v.txt", *FAST, "--save-vocab", tmp_path / "voc.txt"],
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    counts = Counter(CORPUS_TEXT.decode().split())
    lines = (tmp_path / "voc.txt").read_text().splitlines()
    assert lines == [f"{w} {c}" for w, c in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))]


def test_aliases_match_long_options(tmp_path):
    c = corpus(tmp_path)
    common = ["--threads", "1", "--seed", "3", "--min-count", "1", "--quiet"]
    runs = {
        "long-cbow": ["--model", "cbow", "--dim", "12", "--epochs", "2"],
        "alias-cbow": ["--cbow", "1", "--size", "12", "--iter", "2"],
        "long-sg": ["--model", "sg", "--dim", "12", "--epochs", "2"],
        "alias-sg": ["--model", "cbow", "--cbow", "0", "--size", "12", "--iter", "2"],  # --cbow overrides
    }
    outputs = {}
    for name, args in runs.items():
        out = tmp_path / f"{name}.txt"
        result = run_cli(["train", c, "-o", out, *common, *args], cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        outputs[name] = out.read_bytes()
    assert outputs["long-cbow"].startswith(b"%d 12\n" % len(set(CORPUS_TEXT.split())))
    assert outputs["alias-cbow"] == outputs["long-cbow"]
    assert outputs["alias-sg"] == outputs["long-sg"]
    assert outputs["long-cbow"] != outputs["long-sg"]  # --cbow 1 really switched the model


def test_save_vocab_then_read_vocab_gives_same_vectors(tmp_path):
    rng = np.random.default_rng(4)
    words = [f"w{i}" for i in range(60)]
    text = "\n".join(" ".join(words[i] for i in np.minimum(rng.zipf(1.4, size=12), 60) - 1)
                     for _ in range(800)).encode()
    c = corpus(tmp_path, data=text)
    common = ["--threads", "1", "--seed", "9", "--dim", "10", "--epochs", "2", "--min-count", "2", "--quiet"]
    r1 = run_cli(["train", c, "-o", tmp_path / "a.txt", "--save-vocab", tmp_path / "v.txt", *common],
                 cwd=tmp_path)
    assert r1.returncode == 0, r1.stderr
    r2 = run_cli(["train", c, "-o", tmp_path / "b.txt", "--read-vocab", tmp_path / "v.txt", *common],
                 cwd=tmp_path)
    assert r2.returncode == 0, r2.stderr
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    counts = Counter(text.decode().split())
    expected = sorted(((w, n) for w, n in counts.items() if n >= 2), key=lambda wn: (-wn[1], wn[0]))
    assert (tmp_path / "v.txt").read_text().splitlines() == [f"{w} {n}" for w, n in expected]
    loaded_words, _ = load_word2vec(tmp_path / "b.txt")
    assert loaded_words == [w for w, _ in expected]


# ---------------------------------------------------------------- help
TRAIN_OPTIONS = ["--output", "-o", "--model", "--cbow", "--dim", "--size", "--window", "--negative",
                 "--sample", "--min-count", "--max-vocab-size", "--alpha", "--min-alpha", "--epochs",
                 "--iter", "--threads", "--seed", "--ns-exponent", "--max-sentence-length", "--batching",
                 "--binary", "--save-vocab", "--read-vocab", "--quiet"]


def _help(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*fastw2v_script(), *args], env=cli_env(), capture_output=True, text=True,
                          timeout=120)


def test_top_level_help():
    result = _help("--help")
    assert result.returncode == 0, result.stderr
    assert "train" in result.stdout and "Usage" in result.stdout


def test_train_help_mentions_every_option():
    import typer

    from fastw2v.cli import app

    result = _help("train", "--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    declared = {opt for p in typer.main.get_command(app).commands["train"].params
                for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", []) if opt.startswith("-")}
    assert set(TRAIN_OPTIONS) <= declared  # the documented options all exist...
    for option in sorted(declared | set(TRAIN_OPTIONS)):  # ...and the help shows each one
        assert option in text, option
    assert "CORPUS" in text.upper()


def test_help_in_process(capsys):
    assert main(["train", "--help"]) == 0
    assert "--max-sentence-length" in capsys.readouterr().out


def test_train_help_shows_computed_defaults():
    text = _help("train", "--help").stdout
    assert "0.025" in text and "0.05" in text and "all cores" in text


def _option_row(text: str, option: str) -> str:
    """The help row that starts with ``option`` (rich draws one table row per line)."""
    return next(line for line in text.splitlines() if line.lstrip("│ ").startswith(option + " "))


def test_help_names_values_readably_in_every_command():
    """Values are named as common command lines do (N, FILE, sg|cbow), not by Python type
    (<int>, <list[Path]>); a flag, which takes no value, shows none."""
    import typer

    from fastw2v.cli import app

    commands = sorted(typer.main.get_command(app).commands)
    assert {"train", "eval", "similar", "analogy", "cache"} <= set(commands)
    for args in [("--help",)] + [(command, "--help") for command in commands]:
        result = _help(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert not re.search(r"<\w+(\[[^\]]*\])?>|list\[|\bBOOLEAN\b", result.stdout), (args, result.stdout)
        assert "Show this message and exit." in result.stdout
        assert "bool" not in _option_row(result.stdout, "--help")
    train = _help("train", "--help").stdout
    assert "[CORPUS]..." in train
    for option, value in [("--model", "sg|cbow"), ("--loss", "ns|nce|hs"), ("--dim,--size", "INTEGER"),
                          ("--sample", "FLOAT"), ("--output", "FILE"), ("--cache-dir", "DIR"),
                          ("--similarity", "FILE")]:
        assert value in _option_row(train, option).split()[2:4], option  # after the flags (-o too)
    for flag, help_starts in [("--binary", "Write"), ("--no-cache", "Hold"), ("--eval-every-epoch", "Score")]:
        assert _option_row(train, flag).split()[2] == help_starts, flag  # the help, right after the flag
    assert " 3cosadd|3cosmul " in _option_row(_help("eval", "--help").stdout, "--method")
    assert " N " in _option_row(_help("similar", "--help").stdout, "--limit")
