"""``python -m bench memory``: fastw2v's peak memory against the size of the corpus.

Trains fastw2v on a corpus and on the same text repeated ``factor`` times, with
one vocabulary for both (counted once on the 1x corpus, given to every run with
``--read-vocab``), so the model is the same size in every run and only the
corpus grows. Through the token cache (``--cache-dir``), resident memory should
not grow with the corpus; with ``--no-cache`` (the encoded corpus held in
memory) it does, for contrast. A reference run of gensim (LineSentence, the same
settings, the 1x corpus) gives the peak to compare with. See bench/README.md,
"Memory against corpus size".

Besides the peak RSS, every run's largest sampled ``RssAnon`` (private memory)
and ``RssFile`` (mapped files: shared libraries such as Numba's LLVM, and the
memory-mapped token cache) are recorded, to show where the resident memory is.

Every run is its own process, measured by :func:`bench.measure.run_measured`
(peak RSS = the child's ``ru_maxrss`` from ``wait4``). On Linux a child's
``ru_maxrss`` includes the resident memory of what it replaced at ``exec``:
Python's ``subprocess`` uses ``vfork``, so that is the *parent's* peak RSS.
The heavy preparation (decompressing, counting) therefore runs in helper
processes, the parent never imports numpy, and the parent's own peak is
recorded next to every run (``parent_peak_rss_mb``): a child's figure is
trustworthy only above it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import resource
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import REPO_DIR, RESULTS_DIR
from .machine import load_average, machine_facts
from .measure import log_tail, run_measured
from .report import command_line, save_to_results_dir
from .tools import Gensim, Settings

SCHEMA = 1
LINE_FLOATS = 16  # fastw2v pads every vector row to whole 64-byte lines (fastw2v.engine.intrinsics)
MB = 1024 * 1024


@dataclass
class MemoryOptions:
    corpus: str
    out: Path
    factor: int = 4
    threads: int = 2
    dim: int = 100
    epochs: int = 1
    min_count: int = 5
    seed: int = 1
    wrap: int = 1000
    warmup: bool = True
    fresh_numba_cache: bool = True
    timeout: float | None = None
    keep_files: bool = False
    gensim: bool = True  # the gensim reference run (skipped when gensim is not installed)
    save_results: bool = False
    note: str | None = None
    command: list[str] = field(default_factory=list)


def say(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def padded_dim(dim: int) -> int:
    return -(-dim // LINE_FLOATS) * LINE_FLOATS


def model_mb(vocab_size: int, dim: int) -> float:
    """syn0 + syn1 as fastw2v allocates them: 2 x V x padded dim x 4 bytes."""
    return 2 * vocab_size * padded_dim(dim) * 4 / MB


def _self_peak_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / MB if sys.platform == "darwin" else r / 1024


# ----------------------------------------------------------------------------- helpers
# Run in their own processes (``python -m bench.memory _helper NAME ARGS.json``) so
# that the parent stays small: see the module docstring.

def _helper_prepare(a: dict) -> dict:
    from .corpus import prepare_corpus

    return prepare_corpus(a["source"], a["work_dir"], a["wrap"], log=say).describe(a["min_count"])


def _helper_count_vocab(a: dict) -> dict:
    """Count the corpus with fastw2v's own tokenizer and save the vocabulary."""
    from fastw2v.text.corpus import Corpus
    from fastw2v.text.encode import build_vocabulary, scan_corpus
    from fastw2v.text.vocab import Vocabulary

    with open(os.devnull, "wb") as ids, open(os.devnull, "wb") as ends:  # counts only
        scan = scan_corpus(Corpus([a["corpus"]]), max_sentence_length=a["max_sentence_length"],
                           files=(ids, ends))
    vocab, _ = build_vocabulary(scan.table, a["min_count"])
    vocab.save(a["vocab"])
    loaded = Vocabulary.load(a["vocab"], a["min_count"])  # what --read-vocab will see
    return {"vocab_size": len(loaded), "in_vocab_words": loaded.total}


_HELPERS = {"prepare": _helper_prepare, "count_vocab": _helper_count_vocab}


def _helper_main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in _HELPERS:
        print("usage: python -m bench.memory _helper {prepare|count_vocab} ARGS.json", file=sys.stderr)
        return 2
    args = json.loads(Path(argv[1]).read_text())
    Path(args["result"]).write_text(json.dumps(_HELPERS[argv[0]](args)))
    return 0


# ----------------------------------------------------------------------------- the command

class MemoryBench:
    def __init__(self, opts: MemoryOptions):
        self.opts = opts
        self.out = Path(opts.out).resolve()
        for sub in ("logs", "vectors", "corpus"):
            (self.out / sub).mkdir(parents=True, exist_ok=True)
        self.cache_dir = self.out / "token_cache"
        self.numba_cache = self.out / "numba_cache"
        self.started = _dt.datetime.now().astimezone()
        self.machine = machine_facts()
        self.env = dict(os.environ)
        if opts.fresh_numba_cache:
            self.env["NUMBA_CACHE_DIR"] = str(self.numba_cache)
        self.helpers: dict[str, dict] = {}

    # -- processes

    def helper(self, name: str, **args) -> dict:
        """Run one helper in its own (measured) process; its result."""
        result = self.out / "logs" / f"helper.{name}.result.json"
        result.unlink(missing_ok=True)
        args_path = self.out / "logs" / f"helper.{name}.args.json"
        args_path.write_text(json.dumps({**args, "result": str(result)}))
        log = self.out / "logs" / f"helper.{name}.log"
        m = run_measured([sys.executable, "-m", "bench.memory", "_helper", name, str(args_path)], log,
                         env=self.env, cwd=REPO_DIR, timeout=self.opts.timeout)
        if not m.ok or not result.exists():
            raise RuntimeError(f"helper {name} failed ({'timed out' if m.timed_out else f'exit status {m.returncode}'})"
                               f"; last lines of {log}:\n{log_tail(log)}")
        self.helpers[name] = {"wall_s": round(m.wall_s, 3), "peak_rss_mb": round(m.max_rss_mb, 1)}
        return json.loads(result.read_text())

    def train_cmd(self, corpus: Path, vectors: Path, cache: Path | None) -> list[str]:
        o = self.opts
        return ([sys.executable, "-m", "fastw2v.cli", "train", str(corpus), "--read-vocab", str(self.vocab_path),
                 "-o", str(vectors), "--epochs", str(o.epochs), "--threads", str(o.threads),
                 "--dim", str(o.dim), "--min-count", str(o.min_count), "--seed", str(o.seed), "-q"]
                + (["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]))

    def measure(self, tag: str, label: str, corpus: Path, words: int | None, cmd: list[str],
                vectors: Path) -> dict:
        """Run ``cmd``, which must write ``vectors``, in its own measured process; its record."""
        vectors.unlink(missing_ok=True)
        log = self.out / "logs" / f"{tag}.log"
        parent_peak = _self_peak_mb()
        m = run_measured(cmd, log, env=self.env, cwd=REPO_DIR, timeout=self.opts.timeout,
                         sample_memory=True)
        rec = {"tag": tag, "run": label, "corpus": str(corpus), "in_vocab_words": words,
               "ok": m.ok and vectors.exists() and vectors.stat().st_size > 0,
               "wall_s": round(m.wall_s, 3), "user_s": round(m.user_s, 3), "sys_s": round(m.sys_s, 3),
               "peak_rss_mb": round(m.max_rss_mb, 1), "parent_peak_rss_mb": round(parent_peak, 1),
               **_sampled(m), "returncode": m.returncode, "timed_out": m.timed_out, "command": cmd,
               "log": str(log), "cache": None}
        if not rec["ok"]:
            rec["error"] = ("timed out" if m.timed_out else f"exit status {m.returncode}"
                            if m.returncode else "wrote no vectors")
            say(f"{label} FAILED: {rec['error']}; last lines of {log}:\n{log_tail(log)}")
        elif rec["peak_rss_mb"] <= rec["parent_peak_rss_mb"] * 1.05:
            rec["floored_by_parent"] = True
            say(f"{label}: peak RSS {rec['peak_rss_mb']} MB is not above the parent's "
                f"{rec['parent_peak_rss_mb']} MB: the figure may be the parent's")
        return rec

    def train(self, tag: str, label: str, corpus: Path, cache: Path | None, expect: str | None,
              words: int) -> dict:
        """One measured ``fastw2v train``; its record. ``expect``: "built" or "reused" (cache)."""
        vectors = self.out / "vectors" / f"{tag}.txt"
        before = _cache_entries(cache) if cache is not None else {}
        rec = self.measure(tag, label, corpus, words, self.train_cmd(corpus, vectors, cache), vectors)
        vectors.unlink(missing_ok=True)
        if rec["ok"] and cache is not None:
            rec["cache"] = _cache_status(before, _cache_entries(cache), corpus)
            status = rec["cache"].get("status")
            if expect and status != expect:
                rec["cache_unexpected"] = f"expected the cache to be {expect}, it was {status}"
                say(f"{label}: {rec['cache_unexpected']}")
        return rec

    def train_gensim(self) -> dict | None:
        """The reference: gensim's Word2Vec (LineSentence) on the 1x corpus, same settings."""
        gensim = Gensim()
        if not self.opts.gensim or gensim.unavailable():
            return None
        o = self.opts
        settings = Settings(model="sg", dim=o.dim, min_count=o.min_count, epochs=o.epochs,
                            threads=o.threads, seed=o.seed).resolved()
        vectors = self.out / "vectors" / "gensim.txt"
        cmd = gensim.command(str(self.one), str(vectors), settings,
                             str(self.out / "logs" / "gensim.phases.json"))
        rec = self.measure("gensim", "reference: gensim, 1x (LineSentence, its own vocabulary)",
                           self.one, self.vocab["in_vocab_words"], cmd, vectors)
        rec["settings"] = asdict(settings)
        if rec["ok"]:
            with open(vectors, "rb") as f:  # its vocabulary, from the header: the model's size
                rec["vocab_size"] = int(f.readline().split()[0])
        vectors.unlink(missing_ok=True)
        return rec

    # -- steps

    def prepare(self) -> None:
        o = self.opts
        say(f"corpus: preparing the 1x corpus from {o.corpus} (in a helper process)")
        self.corpus = self.helper("prepare", source=str(o.corpus), work_dir=str(self.out / "corpus"),
                                  wrap=o.wrap, min_count=o.min_count)
        self.one = Path(self.corpus["path"])
        self.big = self.out / "corpus" / f"{self.one.stem}.x{o.factor}.txt"
        want = self.one.stat().st_size * o.factor
        if (self.big.exists() and self.big.stat().st_size == want
                and self.big.stat().st_mtime_ns >= self.one.stat().st_mtime_ns):
            say(f"corpus: reusing {self.big}")
        else:
            say(f"corpus: writing {self.big} ({o.factor} x {self.one.name}, {want / MB:,.0f} MB)")
            tmp = self.big.with_suffix(".part")
            with open(tmp, "wb") as fout:
                for _ in range(o.factor):
                    with open(self.one, "rb") as fin:
                        shutil.copyfileobj(fin, fout, MB)  # small buffers: a small parent
            os.replace(tmp, self.big)
        # a few thousand lines of the same text: the warm-up and the reference run
        self.head = self.out / "corpus" / f"{self.one.stem}.head.txt"
        with open(self.one, "rb") as fin, open(self.head, "wb") as fout:
            for i, line in enumerate(fin):
                if i >= 2000:
                    break
                fout.write(line)
        self.vocab_path = self.out / "vocab.txt"
        say(f"vocabulary: counting {self.one.name} once (fastw2v's tokenizer, min_count {o.min_count})")
        self.vocab = self.helper("count_vocab", corpus=str(self.one), vocab=str(self.vocab_path),
                                 min_count=o.min_count, max_sentence_length=10000)
        say(f"vocabulary: {self.vocab['vocab_size']:,} words; every run uses {self.vocab_path}")

    def run(self) -> dict:
        o = self.opts
        self.prepare()
        if self.cache_dir.exists():  # the "build" runs must build
            shutil.rmtree(self.cache_dir)
        warm = None
        if o.warmup:
            if o.fresh_numba_cache and self.numba_cache.exists():
                shutil.rmtree(self.numba_cache)
            say("warm-up: one untimed run on the first 2000 lines (compiles and caches the kernels)")
            warm = self.train("warmup", "warm-up", self.head, self.out / "warmup_cache", "built", 0)
            if warm["ok"]:
                say(f"warm-up: {warm['wall_s']:.1f} s")
        w1 = self.vocab["in_vocab_words"]
        wn = w1 * o.factor
        n = o.factor
        plan = [("x1.build", "1x cached (builds the cache)", self.one, self.cache_dir, "built", w1),
                ("x1.reuse", "1x cached (reuses it)", self.one, self.cache_dir, "reused", w1),
                (f"x{n}.build", f"{n}x cached (builds the cache)", self.big, self.cache_dir, "built", wn),
                (f"x{n}.reuse", f"{n}x cached (reuses it)", self.big, self.cache_dir, "reused", wn),
                (f"x{n}.nocache", f"{n}x `--no-cache` (corpus in memory)", self.big, None, None, wn),
                ("head.reuse", "reference: first 2000 lines, cached", self.head, self.out / "warmup_cache",
                 "reused" if warm and warm["ok"] else None, None)]
        runs = []
        for tag, label, corpus, cache, expect, words in plan:
            rec = self.train(tag, label, corpus, cache, expect, words)
            if rec.get("cache"):
                rec["in_vocab_words"] = rec["cache"].get("tokens", words)
            if rec["ok"]:
                c = rec.get("cache") or {}
                say(f"{label:<40} {rec['peak_rss_mb']:7.0f} MB peak  {rec['wall_s']:7.1f} s"
                    + (f"  (cache {c.get('status')}, {c['mb']:.0f} MB)" if c.get("mb") is not None else ""))
            runs.append(rec)
        ref = self.train_gensim()
        if ref is not None:
            if ref["ok"]:
                say(f"{ref['run']:<40} {ref['peak_rss_mb']:7.0f} MB peak  {ref['wall_s']:7.1f} s")
            runs.append(ref)
        result = self.result(runs, warm)
        if not o.keep_files:
            shutil.rmtree(self.cache_dir, ignore_errors=True)
            shutil.rmtree(self.out / "warmup_cache", ignore_errors=True)
            self.big.unlink(missing_ok=True)
        return result

    def result(self, runs: list[dict], warm: dict | None) -> dict:
        from .tools import FastW2V

        o = self.opts
        c = self.corpus
        settings = {"model": "sg", "dim": o.dim, "padded_dim": padded_dim(o.dim), "epochs": o.epochs,
                    "threads": o.threads, "min_count": o.min_count, "seed": o.seed, "factor": o.factor,
                    "other": "fastw2v defaults (window 5, negative 5, sample 1e-3, shared-negatives)"}
        result = {
            "schema": SCHEMA,
            "kind": "memory",
            "date": self.started.isoformat(timespec="seconds"),
            "command": o.command,
            "note": o.note,
            "settings": settings,
            "corpus": {k: c[k] for k in ("name", "source", "path", "bytes", "lines", "tokens", "distinct",
                                         "wrap", "prepare_s")},
            "corpus_xn": {"path": str(self.big), "bytes": self.one.stat().st_size * o.factor,
                          "tokens": c["tokens"] * o.factor, "lines": c["lines"] * o.factor},
            "vocabulary": {"path": str(self.vocab_path), "size": self.vocab["vocab_size"],
                           "in_vocab_words_1x": self.vocab["in_vocab_words"],
                           "counted_by": "fastw2v.text.encode.scan_corpus + build_vocabulary on the 1x corpus"},
            "model_mb": round(model_mb(self.vocab["vocab_size"], o.dim), 1),
            "model_definition": "2 x V x padded dim x 4 bytes: syn0 and syn1, rows padded to multiples "
                                "of 16 floats",
            "machine": self.machine,
            "versions": {"fastw2v": FastW2V().version()},
            "helpers": self.helpers,
            "parent_peak_rss_mb": round(_self_peak_mb(), 1),
            "warmup": warm,
            "runs": runs,
        }
        result["summary"] = summarize(result)
        result["load_average_at_end"] = load_average()
        result["finished"] = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        return result


def _sampled(m) -> dict:
    """The sampled peaks of a measurement, rounded (None where not sampled)."""
    return {"peak_anon_mb": None if m.peak_anon_mb is None else round(m.peak_anon_mb, 1),
            "peak_file_mb": None if m.peak_file_mb is None else round(m.peak_file_mb, 1)}


# ----------------------------------------------------------------------------- cache entries

def _cache_entries(cache: Path) -> dict[str, dict]:
    """Complete entries in a token cache directory: name -> manifest, json mtime, file sizes."""
    found = {}
    if not cache.is_dir():
        return found
    for manifest in cache.glob("fastw2v-*.json"):
        name = manifest.name[:-len(".json")]
        try:
            info = json.loads(manifest.read_text())
            sizes = {s: (cache / f"{name}.{s}").stat().st_size for s in ("tokens", "ends")}
            found[name] = {"manifest": info, "mtime_ns": manifest.stat().st_mtime_ns, "sizes": sizes}
        except (OSError, ValueError):
            continue
    return found


def _cache_status(before: dict, after: dict, corpus: Path) -> dict:
    """The entry of ``corpus`` after a run, and whether the run built or reused it."""
    path = str(Path(corpus).resolve())
    mine = {n: e for n, e in after.items()
            if [f.get("path") for f in e["manifest"].get("files", [])] == [path]}
    if not mine:
        return {"status": "missing"}
    name, e = max(mine.items(), key=lambda kv: kv[1]["mtime_ns"])
    old = before.get(name)
    status = "reused" if old is not None and old["mtime_ns"] == e["mtime_ns"] else "built"
    return {"status": status, "entry": name, "tokens": e["manifest"].get("tokens"),
            "sentences": e["manifest"].get("sentences"), "tokens_bytes": e["sizes"]["tokens"],
            "ends_bytes": e["sizes"]["ends"],
            "mb": round((e["sizes"]["tokens"] + e["sizes"]["ends"]) / MB, 1)}


# ----------------------------------------------------------------------------- report

def summarize(result: dict) -> dict:
    by_tag = {r["tag"]: r for r in result["runs"] if r.get("ok")}
    n = result["settings"]["factor"]
    out = {}
    for kind in ("build", "reuse"):
        a, b = by_tag.get(f"x1.{kind}"), by_tag.get(f"x{n}.{kind}")
        if a and b:
            out[f"cached_{kind}_delta_mb"] = round(b["peak_rss_mb"] - a["peak_rss_mb"], 1)
    a, b = by_tag.get(f"x{n}.reuse"), by_tag.get(f"x{n}.nocache")
    if a and b:
        out["nocache_minus_cached_mb"] = round(b["peak_rss_mb"] - a["peak_rss_mb"], 1)
    a, b = by_tag.get("x1.reuse"), by_tag.get(f"x{n}.reuse")
    if a and b and a.get("cache") and b.get("cache"):
        out["cache_growth_mb"] = round(b["cache"]["mb"] - a["cache"]["mb"], 1)
    a, g = by_tag.get("x1.reuse"), by_tag.get("gensim")
    if a and g:
        out["reuse_minus_gensim_mb"] = round(a["peak_rss_mb"] - g["peak_rss_mb"], 1)
        if a.get("peak_anon_mb") is not None and g.get("peak_anon_mb") is not None:
            out["reuse_minus_gensim_anon_mb"] = round(a["peak_anon_mb"] - g["peak_anon_mb"], 1)
            out["reuse_minus_gensim_file_mb"] = round(a["peak_file_mb"] - g["peak_file_mb"], 1)
    return out


def _signed(x: float) -> str:
    """Whole megabytes with a sign; never "-0"."""
    r = round(x)
    return f"{r:+d}" if r else "0"


def _mb(x: float) -> str:
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def _words(x) -> str:
    if x is None:
        return "-"
    return f"{x / 1e6:.1f}M" if x >= 1e6 else f"{x:,}"


def table_lines(result: dict) -> list[str]:
    lines = ["| run | corpus words | cache MB (tokens+ends) | model MB | peak RSS MB "
             "| anon MB | file MB | wall s |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    model = result["model_mb"]
    for r in result["runs"]:
        if not r.get("ok"):
            lines.append(f"| {r['run']} | {_words(r.get('in_vocab_words'))} | - | {model:.1f} "
                         f"| failed | - | - | - |")
            continue
        c = r.get("cache")
        size = model
        if r["tag"] == "gensim":  # unpadded rows: 2 x V x dim x 4 bytes
            cache, size = "-", 2 * r.get("vocab_size", 0) * result["settings"]["dim"] * 4 / MB
        else:
            cache = _mb(c["mb"]) if c and c.get("mb") is not None else "- (in memory)" if c is None else "-"
        anon, file = (("-" if r.get(k) is None else f"{r[k]:.0f}") for k in ("peak_anon_mb", "peak_file_mb"))
        lines.append(f"| {r['run']} | {_words(r.get('in_vocab_words'))} | {cache} | {size:.1f} "
                     f"| {r['peak_rss_mb']:.0f} | {anon} | {file} | {r['wall_s']:.1f} |")
    return lines


def summary_sentence(result: dict) -> str:
    s, n = result["summary"], result["settings"]["factor"]
    by_tag = {r["tag"]: r for r in result["runs"] if r.get("ok")}
    if "cached_reuse_delta_mb" not in s:
        return "Not enough successful runs to compare the cached peaks."
    a, b = by_tag["x1.reuse"], by_tag[f"x{n}.reuse"]
    text = (f"With the token cache, going from the 1x corpus ({_words(a['in_vocab_words'])} words) to "
            f"the {n}x corpus ({_words(b['in_vocab_words'])} words) changes the peak RSS by "
            f"{_signed(s['cached_reuse_delta_mb'])} MB when the cache is reused "
            f"({a['peak_rss_mb']:.0f} -> {b['peak_rss_mb']:.0f} MB)")
    if "cached_build_delta_mb" in s:
        a2, b2 = by_tag["x1.build"], by_tag[f"x{n}.build"]
        text += (f" and by {_signed(s['cached_build_delta_mb'])} MB when it is built "
                 f"({a2['peak_rss_mb']:.0f} -> {b2['peak_rss_mb']:.0f} MB)")
    if "cache_growth_mb" in s:
        text += f", while the cache files grew by {_mb(s['cache_growth_mb'])} MB"
    text += "."
    if "nocache_minus_cached_mb" in s:
        text += (f" Holding the {n}x corpus in memory instead (`--no-cache`) peaks at "
                 f"{by_tag[f'x{n}.nocache']['peak_rss_mb']:.0f} MB, "
                 f"{_signed(s['nocache_minus_cached_mb'])} MB against the cached {n}x run.")
    if "reuse_minus_gensim_mb" in s:
        g = by_tag["gensim"]
        text += (f" gensim on the 1x corpus peaks at {g['peak_rss_mb']:.0f} MB: fastw2v's 1x run "
                 f"(cache reused) is {_signed(s['reuse_minus_gensim_mb'])} MB against it")
        if "reuse_minus_gensim_anon_mb" in s:
            text += (f", of which {_signed(s['reuse_minus_gensim_anon_mb'])} MB in private memory "
                     f"(RssAnon) and {_signed(s['reuse_minus_gensim_file_mb'])} MB in mapped files "
                     "(RssFile)")
        text += "."
    return text


def markdown(result: dict) -> str:
    c, s, m, v = result["corpus"], result["settings"], result["machine"], result["vocabulary"]
    cmd = command_line(result)
    n = s["factor"]
    lines = [f"# fastw2v peak memory against corpus size: {c['name']}, {result['date'][:10]}", ""]
    if result.get("note"):
        lines += [f"> {result['note']}", ""]
    lines += [
        f"Command: `{cmd}`",
        "",
        f"- Corpus: `{c['source']}`, prepared as for `bench run` into `{Path(c['path']).name}`: "
        f"{c['tokens']:,} tokens, {c['lines']:,} lines of at most {c['wrap']} tokens, "
        f"{c['bytes'] / MB:,.0f} MB. The {n}x corpus is that file written {n} times in a row "
        f"({result['corpus_xn']['bytes'] / MB:,.0f} MB).",
        f"- Vocabulary: counted once on the 1x corpus (fastw2v's tokenizer, min_count {s['min_count']}): "
        f"{v['size']:,} words; every run reads it with `--read-vocab`, so the model is the same in all "
        f"of them: {result['model_mb']:.1f} MB, {result['model_definition']} (dim {s['dim']} -> "
        f"{s['padded_dim']}).",
        f"- Settings: sg, dim {s['dim']}, epochs {s['epochs']}, threads {s['threads']}, seed {s['seed']}, "
        f"otherwise fastw2v's defaults.",
        f"- Machine: {m['cpu_model']}, {m['cpu_count']} logical CPUs ({m['cpus_usable']} usable), "
        f"{m['memory_gib']} GiB; {m['platform']}; Python {m['python']}. Load average at start "
        f"{m.get('load_average_at_start')}, at end {result.get('load_average_at_end')}.",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in result["versions"].items()) + ".",
        "",
    ]
    lines += table_lines(result)
    lines += ["", summary_sentence(result), "", "Notes:", ""]
    lines.append("- Each run is `python -m fastw2v.cli train CORPUS --read-vocab vocab.txt -o OUT "
                 f"--epochs {s['epochs']} --threads {s['threads']} --dim {s['dim']} -q` with "
                 "`--cache-dir` (a token cache that starts empty) or `--no-cache`, in its own process. "
                 "Peak RSS is the process's `ru_maxrss` from `wait4`; wall s is end to end (start-up, "
                 "reading or mapping the corpus, training, writing the vectors), on a machine that may "
                 "have been busy: not a speed figure.")
    lines.append("- anon MB / file MB: the largest `RssAnon` (private memory: heap, arrays, the "
                 "model) and `RssFile` (mapped files: shared libraries such as Numba's LLVM, and the "
                 "memory-mapped token cache) seen by reading `/proc/PID/status` every 10 ms. Samples: "
                 "the two maxima need not be simultaneous, so they need not add up to the peak RSS.")
    if any(r["tag"] == "gensim" for r in result["runs"]):
        lines.append("- The gensim row: `bench/runners/gensim_runner.py --mode iterable` on the 1x "
                     "corpus (gensim's Word2Vec over LineSentence, counting its own vocabulary), sg, "
                     f"dim {s['dim']}, window 5, negative 5, sample 1e-3, min_count {s['min_count']}, "
                     f"epochs {s['epochs']}, threads {s['threads']}; its model has unpadded rows.")
    lines.append("- corpus words: in-vocabulary words, the tokens training reads (the cache's token "
                 "count). cache MB: the entry's `.tokens` (4 bytes a word) and `.ends` (8 bytes a "
                 "sentence) files. Whether each cached run built or reused its entry is checked from "
                 "the entry's manifest.")
    lines.append(f"- The parent process peaked at {result['parent_peak_rss_mb']:.0f} MB. On Linux a "
                 "child's `ru_maxrss` includes the parent's peak (Python starts children with `vfork`), "
                 "so the corpus preparation and vocabulary counting ran in helper processes (peaks: "
                 + ", ".join(f"{k} {h['peak_rss_mb']:.0f} MB" for k, h in result["helpers"].items())
                 + ")" + ("." if any(r.get("floored_by_parent") for r in result["runs"])
                          else "; every peak above is well above the parent's."))
    w = result.get("warmup")
    if w:
        lines.append(f"- Warm-up (untimed, not in the table): one run on the first 2000 lines with an "
                     f"empty Numba cache, {w['wall_s']:.1f} s, {w['peak_rss_mb']:.0f} MB (compiling). "
                     "The reference row reruns it with the kernels cached: the process, the model and "
                     "almost no corpus.")
    for r in result["runs"]:
        if not r.get("ok"):
            lines.append(f"- {r['run']}: failed, {r.get('error')} (log {r['log']}).")
        if r.get("cache_unexpected"):
            lines.append(f"- {r['run']}: {r['cache_unexpected']}.")
        if r.get("floored_by_parent"):
            lines.append(f"- {r['run']}: its peak is not above the parent's; it may be the parent's.")
    lines.append("")
    return "\n".join(lines)


def write_reports(result: dict, out: Path, save_results: bool) -> list[Path]:
    paths = [out / "memory.json", out / "memory.md"]
    paths[0].write_text(json.dumps(result, indent=1) + "\n")
    paths[1].write_text(markdown(result))
    if save_results:
        paths += save_to_results_dir(result, paths, RESULTS_DIR)
    return paths


def run_memory(opts: MemoryOptions) -> dict:
    bench = MemoryBench(opts)
    result = bench.run()
    for p in write_reports(result, bench.out, opts.save_results):
        say(f"wrote {p}")
    print("\n".join(table_lines(result)) + "\n\n" + summary_sentence(result))
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["_helper"]:
        sys.exit(_helper_main(sys.argv[2:]))
    print("run it as: python -m bench memory --help", file=sys.stderr)
    sys.exit(2)
