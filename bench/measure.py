"""Launch one process and measure it: wall time, CPU time and peak memory.

Wall time runs from just before the process is spawned until it has been reaped,
so it covers interpreter start-up, imports, reading, vocabulary, training and
writing the vectors. Peak memory is the child's ``ru_maxrss`` as reported by
``os.wait4`` (the largest resident set of the child, or of any descendant it
waited for).

With ``sample_memory`` (Linux), a thread also reads ``/proc/PID/status`` every
10 ms and keeps the largest ``RssAnon`` (private memory: the heap, arrays) and
``RssFile`` (mapped files: shared libraries, memory-mapped data) it saw. They
are samples: a peak shorter than 10 ms can be missed, and the two maxima need
not be simultaneous, so they need not add up to the peak RSS.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measurement:
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_mb: float
    returncode: int
    timed_out: bool
    log: str  # path of the file holding the process's stdout and stderr
    peak_anon_mb: float | None = None  # sampled (sample_memory=True), else None
    peak_file_mb: float | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


def _maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


class _MemorySampler(threading.Thread):
    """Largest RssAnon and RssFile of one process, read from /proc every ``interval`` s."""

    FIELDS = ("RssAnon", "RssFile")

    def __init__(self, pid: int, interval: float = 0.01):
        super().__init__(daemon=True)
        self.path = f"/proc/{pid}/status"
        self.interval = interval
        self.peak_kb = {f: None for f in self.FIELDS}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                with open(self.path) as f:
                    text = f.read()
            except OSError:
                return
            for line in text.splitlines():
                key, _, value = line.partition(":")
                if key in self.peak_kb:
                    kb = int(value.split()[0])
                    self.peak_kb[key] = max(kb, self.peak_kb[key] or 0)
            self.done.wait(self.interval)

    def peak_mb(self, field: str) -> float | None:
        kb = self.peak_kb[field]
        return None if kb is None else kb / 1024


def run_measured(cmd: list[str], log_path: str | os.PathLike, *, env: dict | None = None,
                 cwd: str | os.PathLike | None = None, timeout: float | None = None,
                 sample_memory: bool = False) -> Measurement:
    """Run ``cmd`` to completion (stdout and stderr to ``log_path``) and measure it."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    timed_out = threading.Event()
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd, start_new_session=True)
        sampler = None
        if sample_memory and os.path.exists(f"/proc/{proc.pid}/status"):
            sampler = _MemorySampler(proc.pid)
            sampler.start()
        timer = None
        if timeout:
            def kill():
                timed_out.set()
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            timer = threading.Timer(timeout, kill)
            timer.daemon = True
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer is not None:
                timer.cancel()
            if sampler is not None:
                sampler.done.set()
                sampler.join()
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Measurement(wall_s=wall, user_s=usage.ru_utime, sys_s=usage.ru_stime,
                       max_rss_mb=_maxrss_mb(usage.ru_maxrss), returncode=proc.returncode,
                       timed_out=timed_out.is_set(), log=str(log_path),
                       peak_anon_mb=sampler.peak_mb("RssAnon") if sampler else None,
                       peak_file_mb=sampler.peak_mb("RssFile") if sampler else None)


def log_tail(path: str | os.PathLike, lines: int = 15) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    # progress bars use carriage returns; keep what a terminal would show last
    shown = [ln.rsplit("\r", 1)[-1] for ln in text.split("\n")]
    return "\n".join([ln for ln in shown if ln.strip()][-lines:])
