"""The benchmark itself: prepare the corpus, warm up, run the tools interleaved, score, report."""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import statistics
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from . import REPO_DIR, RESULTS_DIR
from .corpus import PreparedCorpus, prepare_corpus
from .evaluate import describe_evaluator, evaluate_in_subprocess, evaluator_unavailable
from .machine import load_average, machine_facts
from .measure import log_tail, run_measured
from .report import fmt_rate
from .report import save_to_results_dir, write_run_report, write_scaling_report
from .tools import Settings, Tool, make_tools

SCHEMA = 1
THROUGHPUT_DEFINITION = (
    "words/s = W x E / T: W = in-vocabulary words of the prepared corpus (tokens whose word "
    "occurs at least min_count times), counted once by the harness before subsampling and the "
    "same for every tool; E = epochs; T = median end-to-end wall seconds of the tool's process "
    "(start-up, reading, vocabulary, training, writing the vectors)")
RATIO_DEFINITION = ("time ratio = tool wall s / fastw2v wall s in the same repeat (median over "
                    "repeats); above 1 means slower than fastw2v")


@dataclass
class BenchOptions:
    corpus: str
    out: Path
    tools: list[str]
    settings: Settings
    repeat: int = 3
    word2vec_c: str | None = None
    wrap: int = 1000
    evaluate: bool = True
    eval_repeats: str = "last"  # "last" or "all"
    warmup: bool = True
    fresh_numba_cache: bool = True
    timeout: float | None = None
    save_results: bool = False
    note: str | None = None
    threads_list: list[int] = field(default_factory=list)  # scaling only
    command: list[str] = field(default_factory=list)


def say(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- setup

class Session:
    """What every benchmark command shares: corpus, tools, environment, warm-up."""

    def __init__(self, opts: BenchOptions):
        self.opts = opts
        self.out = Path(opts.out).resolve()
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "logs").mkdir(exist_ok=True)
        (self.out / "vectors").mkdir(exist_ok=True)
        self.started = _dt.datetime.now().astimezone()
        self.machine = machine_facts()
        self.settings = opts.settings.resolved()
        self.corpus: PreparedCorpus = prepare_corpus(opts.corpus, self.out / "corpus", opts.wrap, log=say)
        self.words = self.corpus.in_vocab_words(self.settings.min_count)
        if self.words == 0:
            raise ValueError(f"no word of {opts.corpus} reaches min_count {self.settings.min_count}")
        self.tools: list[Tool] = []
        self.skipped: dict[str, str] = {}
        self.versions: dict[str, str | None] = {}
        for tool in make_tools(opts.tools, opts.word2vec_c):
            reason = tool.unavailable()
            if reason:
                self.skipped[tool.name] = reason
                say(f"skipping {tool.name}: {reason}")
            else:
                self.tools.append(tool)
                self.versions[tool.name] = tool.version()
        if self.settings.subwords:
            plain = [t.name for t in self.tools if not t.subwords]
            if plain:
                say(f"subword mode: {', '.join(plain)} cannot train subwords and run as plain "
                    f"word2vec (reference rows)")
        self.eval_reason = evaluator_unavailable() if opts.evaluate else "not requested (--no-eval)"
        if opts.evaluate and self.eval_reason:
            say(f"quality is not scored: {self.eval_reason}")
        self.numba_cache = self.out / "numba_cache"
        self.warmup: dict | None = None

    def env(self, tool: Tool) -> dict:
        env = dict(os.environ)
        if tool.name == "fastw2v" and self.opts.fresh_numba_cache:
            env["NUMBA_CACHE_DIR"] = str(self.numba_cache)
        return env

    def run_tool(self, tool: Tool, settings: Settings, tag: str) -> dict:
        """One measured run; returns its record (never raises for a failing tool)."""
        vectors = self.out / "vectors" / f"{tool.name}.{tag}.txt"
        phases = self.out / "logs" / f"{tool.name}.{tag}.phases.json"
        log = self.out / "logs" / f"{tool.name}.{tag}.log"
        for p in (vectors, phases):
            if p.exists():
                p.unlink()
        shutil.rmtree(vectors.with_name(vectors.name + ".cache"), ignore_errors=True)  # fastw2v's
        cmd = tool.command(self.corpus.path, str(vectors), settings, str(phases))
        try:
            m = run_measured(cmd, log, env=self.env(tool), cwd=REPO_DIR, timeout=self.opts.timeout)
        except OSError as exc:  # e.g. the binary cannot be executed at all
            log.write_text(f"cannot start {cmd[0]}: {exc}\n")
            return {"tag": tag, "ok": False, "error": f"cannot start: {exc}", "command": cmd, "log": str(log)}
        rec = {"tag": tag, "ok": m.ok, "wall_s": round(m.wall_s, 3), "user_s": round(m.user_s, 3),
               "sys_s": round(m.sys_s, 3), "cpu_util": round(m.cpu_s / m.wall_s, 2) if m.wall_s else None,
               "peak_rss_mb": round(m.max_rss_mb, 1), "returncode": m.returncode,
               "timed_out": m.timed_out, "threads": settings.threads,
               "words_per_s": round(self.words * settings.epochs / m.wall_s) if m.wall_s else None,
               "log": str(log), "vectors": str(vectors)}
        if m.ok and (not vectors.exists() or vectors.stat().st_size == 0):
            rec["ok"] = False
            rec["error"] = "exited 0 but wrote no vectors"
        elif not m.ok:
            rec["error"] = ("timed out after %.0f s" % self.opts.timeout) if m.timed_out else \
                f"exit status {m.returncode}"
        if phases.exists():
            try:
                rec["phases"] = {k: (round(v, 3) if isinstance(v, float) else v)
                                 for k, v in json.loads(phases.read_text()).items()}
            except ValueError:
                pass
        if not rec["ok"] and (rec.get("phases") or {}).get("error"):  # the runner's own account
            rec["error"] += f": {rec['phases']['error']}"
        if not rec["ok"]:
            tail = log_tail(log)
            say(f"{tool.name} ({tag}) FAILED: {rec['error']}; " +
                (f"last lines of {log}:\n{tail}" if tail else f"it printed nothing ({log})"))
        return rec

    def do_warmup(self) -> None:
        """One untimed fastw2v run first, so its timed runs find Numba's compiled kernels cached."""
        fw = next((t for t in self.tools if t.name == "fastw2v"), None)
        if fw is None or not self.opts.warmup:
            return
        if self.opts.fresh_numba_cache and self.numba_cache.exists():
            shutil.rmtree(self.numba_cache)
        say("warm-up: one untimed fastw2v run (" + ("empty Numba cache: includes compiling the kernels"
            if self.opts.fresh_numba_cache else "default Numba cache") + ")")
        rec = self.run_tool(fw, self.settings, "warmup")
        rec["numba_cache"] = str(self.numba_cache) if self.opts.fresh_numba_cache else "default"
        rec["cold_cache"] = self.opts.fresh_numba_cache
        self.warmup = rec
        self.discard_vectors(rec)
        if rec["ok"]:
            say(f"warm-up: {rec['wall_s']:.1f} s")

    def score_all(self, recs: list[dict]) -> None:
        """Score the kept vectors after every timed run is over (scoring never overlaps a run)."""
        todo = [r for r in recs if r.pop("score", False) and r.get("ok")]
        if todo and not self.eval_reason:
            say(f"scoring {len(todo)} vector file(s)")
        for rec in todo:
            rec["quality"] = self.score(rec)
            q = rec["quality"]
            if q and "error" not in q:
                say(f"  {Path(rec['vectors']).name}: analogy {q['analogy']['total']}%, "
                    f"WS353 {q['ws353']['spearman']}, SimLex {q['simlex']['spearman']} ({q['eval_s']:.0f} s)")

    @staticmethod
    def discard_vectors(rec: dict) -> None:
        if rec.get("vectors"):
            Path(rec["vectors"]).unlink(missing_ok=True)
            rec["vectors"] = None

    def score(self, rec: dict) -> dict | None:
        if self.eval_reason or not rec.get("ok"):
            return None
        try:
            return evaluate_in_subprocess(rec["vectors"])
        except Exception as exc:  # a file one tool wrote oddly must not stop the report
            say(f"could not score {rec['vectors']}: {exc}")
            return {"error": str(exc)}

    def header(self, kind: str) -> dict:
        return {
            "schema": SCHEMA,
            "kind": kind,
            "date": self.started.isoformat(timespec="seconds"),
            "command": self.opts.command,
            "note": self.opts.note,
            "settings": asdict(self.settings),
            "repeat": self.opts.repeat,
            "corpus": self.corpus.describe(self.settings.min_count),
            "throughput_definition": THROUGHPUT_DEFINITION,
            "ratio_definition": RATIO_DEFINITION,
            "evaluator": describe_evaluator() if not self.eval_reason else None,
            "evaluation_skipped": self.eval_reason,
            "machine": self.machine,
            "versions": self.versions,
            "skipped": self.skipped,
            "warmup": self.warmup,
            "subwords": ({"minn": self.settings.minn, "maxn": self.settings.maxn,
                          "bucket": self.settings.bucket,
                          "tools": [t.name for t in self.tools if t.subwords],
                          "plain_tools": [t.name for t in self.tools if not t.subwords]}
                         if self.settings.subwords else None),
        }


# ----------------------------------------------------------------------------- run

def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _mean_quality(qs: list[dict]) -> dict | None:
    """Mean of every number over several scorings (same layout)."""
    qs = [q for q in qs if q and "error" not in q]
    if not qs:
        return None
    if len(qs) == 1:
        return qs[0]
    def mean(vals):
        if all(isinstance(v, dict) for v in vals):
            return {k: mean([v[k] for v in vals if k in v]) for k in vals[0]}  # e.g. sections
        nums = [v for v in vals if isinstance(v, (int, float))]
        return round(statistics.fmean(nums), 4) if len(nums) == len(vals) else vals[-1]
    return mean(qs)


def run_benchmark(opts: BenchOptions) -> dict:
    sess = Session(opts)
    s = sess.settings
    say(f"{len(sess.tools)} tool(s): {', '.join(t.name for t in sess.tools) or 'none'}; "
        f"{s.model}, dim {s.dim}, window {s.window}, negative {s.negative}, sample {s.sample}, "
        f"min_count {s.min_count}, epochs {s.epochs}, alpha {s.alpha}, threads {s.threads}; "
        + (f"subwords minn {s.minn} maxn {s.maxn} bucket {s.bucket:,}; " if s.subwords else "")
        + f"{sess.words:,} in-vocabulary words; {opts.repeat} repeat(s), interleaved")
    sess.do_warmup()
    runs: dict[str, list[dict]] = {t.name: [] for t in sess.tools}
    for r in range(opts.repeat):
        for tool in sess.tools:
            rec = sess.run_tool(tool, s, f"r{r + 1}")
            rec["repeat"] = r + 1
            if rec["ok"]:
                say(f"[{r + 1}/{opts.repeat}] {tool.name:<12} {rec['wall_s']:8.2f} s  "
                    f"{fmt_rate(rec['words_per_s']):>7} words/s  {rec['peak_rss_mb']:7.0f} MB")
            rec["score"] = opts.evaluate and (opts.eval_repeats == "all" or r == opts.repeat - 1)
            if not rec["score"]:  # not to be scored: no need to keep it
                sess.discard_vectors(rec)
            runs[tool.name].append(rec)
    sess.score_all([rec for recs in runs.values() for rec in recs])
    for recs in runs.values():  # keep only each tool's last vectors on disk
        for rec in recs[:-1]:
            sess.discard_vectors(rec)
    tools_out = {}
    base = {rec["repeat"]: rec for rec in runs.get("fastw2v", []) if rec["ok"]}
    for tool in sess.tools:
        recs = runs[tool.name]
        good = [x for x in recs if x["ok"]]
        ratios = [round(x["wall_s"] / base[x["repeat"]]["wall_s"], 4)
                  for x in good if x["repeat"] in base]
        for x in good:
            if x["repeat"] in base:
                x["ratio_to_fastw2v"] = round(x["wall_s"] / base[x["repeat"]]["wall_s"], 4)
        med = _median([x["wall_s"] for x in good])
        scored = [x.get("quality") for x in good if x.get("quality")]
        tools_out[tool.name] = {
            "description": tool.describe(s),
            "subwords": tool.subwords and s.subwords,
            "version": sess.versions.get(tool.name),
            "command": tool.command(sess.corpus.path, "OUTPUT", s, "PHASES"),
            "runs": recs,
            "ok_runs": len(good),
            "median_wall_s": round(med, 3) if med is not None else None,
            "min_wall_s": min((x["wall_s"] for x in good), default=None),
            "max_wall_s": max((x["wall_s"] for x in good), default=None),
            "words_per_s": round(sess.words * s.epochs / med) if med else None,
            "ratios_to_fastw2v": ratios,
            "ratio_to_fastw2v": round(_median(ratios), 3) if ratios else None,
            "peak_rss_mb": max((x["peak_rss_mb"] for x in good), default=None),
            "median_cpu_util": _median([x["cpu_util"] for x in good]),
            "quality": _mean_quality(scored),
            "quality_from": ("mean over %d repeat(s)" % len(scored) if opts.eval_repeats == "all"
                             else "last repeat") if scored else None,
        }
    result = sess.header("run")
    return _finish(result, sess, tools_out, write_run_report, opts)


def _finish(result, sess, tools_out, write_report, opts):
    """Complete ``result``, write its reports (and copies in bench/results); return it."""
    result["order"] = [t.name for t in sess.tools]
    result["tools"] = tools_out
    result["load_average_at_end"] = load_average()
    result["finished"] = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    paths = write_report(result, sess.out)
    if opts.save_results:
        paths += save_to_results_dir(result, paths, RESULTS_DIR)
    for p in paths:
        say(f"wrote {p}")
    return result


# ----------------------------------------------------------------------------- scaling

def run_scaling(opts: BenchOptions) -> dict:
    sess = Session(opts)
    threads = opts.threads_list
    say(f"thread scaling over {threads} for {', '.join(t.name for t in sess.tools) or 'no tool'}; "
        f"{sess.words:,} in-vocabulary words x {sess.settings.epochs} epoch(s); {opts.repeat} repeat(s)")
    sess.do_warmup()
    runs: dict[str, dict[int, list[dict]]] = {t.name: {n: [] for n in threads} for t in sess.tools}
    for r in range(opts.repeat):
        for n in threads:
            st = replace(sess.settings, threads=n)
            for tool in sess.tools:
                rec = sess.run_tool(tool, st, f"t{n}.r{r + 1}")
                rec["repeat"] = r + 1
                if rec["ok"]:
                    say(f"[{r + 1}/{opts.repeat}] {n:>3} threads {tool.name:<12} {rec['wall_s']:8.2f} s  "
                        f"{fmt_rate(rec['words_per_s']):>7} words/s")
                rec["score"] = opts.evaluate and r == opts.repeat - 1
                runs[tool.name][n].append(rec)
    sess.score_all([rec for per in runs.values() for recs in per.values() for rec in recs])
    for per in runs.values():  # vectors of scaling runs are not kept
        for recs in per.values():
            for rec in recs:
                sess.discard_vectors(rec)
    tools_out = {}
    for tool in sess.tools:
        per = {}
        for n in threads:
            good = [x for x in runs[tool.name][n] if x["ok"]]
            med = _median([x["wall_s"] for x in good])
            per[str(n)] = {
                "runs": runs[tool.name][n],
                "median_wall_s": round(med, 3) if med else None,
                "words_per_s": round(sess.words * sess.settings.epochs / med) if med else None,
                "peak_rss_mb": max((x["peak_rss_mb"] for x in good), default=None),
                "quality": next((x.get("quality") for x in reversed(good) if x.get("quality")), None),
            }
        first = next((per[str(n)]["words_per_s"] for n in threads if per[str(n)]["words_per_s"]), None)
        first_n = next((n for n in threads if per[str(n)]["words_per_s"]), None)
        for n in threads:
            w = per[str(n)]["words_per_s"]
            per[str(n)]["speedup"] = round(w / first, 3) if w and first else None
            per[str(n)]["efficiency"] = (round(w / first / (n / first_n), 3)
                                         if w and first and first_n else None)
        tools_out[tool.name] = {"description": tool.describe(sess.settings), "version": sess.versions.get(tool.name),
                                "by_threads": per}
    result = sess.header("scaling")
    result["settings"]["threads"] = threads
    result["threads"] = threads
    return _finish(result, sess, tools_out, write_scaling_report, opts)
