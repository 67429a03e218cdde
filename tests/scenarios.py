"""Failure scenarios, each run in a subprocess with a timeout, for any of the three writers.

``tests/test_reliability.py`` asserts turboboard's guarantees on them; run this file to see how
tensorboardX and torch.utils.tensorboard fare in the same scenarios::

    python tests/scenarios.py          # prints a markdown table (root needed for the mounts)

Each scenario returns a ``Outcome``: what happened (hang, error, events on disk) and whether
every event file holds only whole, valid records (a cleanly truncated tail allowed).
"""

from __future__ import annotations

import contextlib
import glob
import os
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import crc32c

LIBS = ("turboboard", "tensorboardX", "torch")
IMPORTS = {
    "turboboard": "from turboboard import SummaryWriter",
    "tensorboardX": "from tensorboardX import SummaryWriter",
    "torch": "from torch.utils.tensorboard import SummaryWriter",
}
HERE = os.path.dirname(os.path.abspath(__file__))


# Reading event files, record by record, trusting nothing.


def _masked_crc(data: bytes) -> int:
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def scan_records(path: str) -> tuple[list[bytes], str]:
    """The payloads of the whole, valid records at the start of ``path``, and how the file
    ends: ``"clean"``, ``"truncated"`` (a partial last record, which readers wait out) or
    ``"corrupt"`` (a CRC mismatch, which makes readers give up on the file)."""
    with open(path, "rb") as f:
        data = f.read()
    records, offset = [], 0
    while offset < len(data):
        if len(data) - offset < 12:
            return records, "truncated"
        header = data[offset : offset + 8]
        if struct.unpack("<I", data[offset + 8 : offset + 12])[0] != _masked_crc(header):
            return records, "corrupt"
        (length,) = struct.unpack("<Q", header)
        end = offset + 12 + length
        if end + 4 > len(data):
            return records, "truncated"
        payload = data[offset + 12 : end]
        if struct.unpack("<I", data[end : end + 4])[0] != _masked_crc(payload):
            return records, "corrupt"
        records.append(payload)
        offset = end + 4
    return records, "clean"


def event_files(root: str) -> list[str]:
    """Every event file under ``root`` (sub-directories included), sorted."""
    return sorted(glob.glob(os.path.join(root, "**", "*tfevents*"), recursive=True))


@dataclass
class Files:
    """What the event files under a directory hold."""

    paths: list[str]
    tails: list[str]
    # (tag, step) of every summary value, file by file.
    values: list[list[tuple[str, int]]]
    # Whole records, and events TensorBoard's own loader read, file by file.
    records: list[int] = field(default_factory=list)
    loaded: list[int] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(t in ("clean", "truncated") for t in self.tails)

    @property
    def all_values(self) -> list[tuple[str, int]]:
        return [v for file in self.values for v in file]

    def steps(self, tag: str) -> list[int]:
        return [s for t, s in self.all_values if t == tag]


def read_files(root: str) -> Files:
    from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
    from tensorboard.compat.proto import event_pb2

    files = Files(event_files(root), [], [])
    for path in files.paths:
        records, tail = scan_records(path)
        files.tails.append(tail)
        events = [event_pb2.Event.FromString(r) for r in records]
        files.values.append([(v.tag, e.step) for e in events for v in e.summary.value])
        files.records.append(len(records))
        files.loaded.append(sum(1 for _ in LegacyEventFileLoader(path).Load()))
    return files


# Running a scenario.


@dataclass
class Outcome:
    returncode: int | None  # None: still running at the timeout (a hang), then killed
    stdout: str
    stderr: str
    seconds: float
    files: Files = field(default_factory=lambda: Files([], [], []))

    @property
    def hung(self) -> bool:
        return self.returncode is None

    def marks(self) -> dict[str, str]:
        """``key=value`` lines the script printed."""
        return dict(line.split("=", 1) for line in self.stdout.splitlines() if "=" in line)


def run(
    lib: str,
    code: str,
    timeout: float,
    cwd: str | None = None,
    kill_after: str | None = None,
    kill_delay: float = 0.0,
    script: bool = False,
) -> Outcome:
    """Runs ``code`` (with ``SummaryWriter`` imported from ``lib``) in a new interpreter.

    With ``kill_after``, sends SIGKILL ``kill_delay`` seconds after the script prints that line.
    With ``script``, runs it from a file (``multiprocessing`` with spawn needs one).
    """
    source = IMPORTS[lib] + "\n" + textwrap.dedent(code)
    if script:
        path = os.path.join(cwd or tempfile.mkdtemp(), "scenario.py")
        with open(path, "w") as f:
            f.write(source)
        argv = [sys.executable, path]
    else:
        argv = [sys.executable, "-c", source]
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    if kill_after is not None:
        assert proc.stdout is not None
        seen = ""
        while kill_after not in seen:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
        time.sleep(kill_delay)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        return Outcome(-9, seen + out, err, time.monotonic() - start)
    try:
        out, err = proc.communicate(timeout=timeout)
        return Outcome(proc.returncode, out, err, time.monotonic() - start)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return Outcome(None, out, err, time.monotonic() - start)


# Mounts: a small tmpfs (a full disk) and slowfs (a slow or stuck disk). Both need root.


class MountUnavailable(Exception):
    pass


@contextlib.contextmanager
def small_tmpfs(path: str, size: str) -> Iterator[str]:
    os.makedirs(path, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise MountUnavailable(f"cannot mount a tmpfs: {result.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path], capture_output=True)


@contextlib.contextmanager
def slow_disk(root: str, delay: float) -> Iterator[tuple[str, str]]:
    """A FUSE mount at ``root/mnt`` whose writes each take ``delay`` seconds, backed by
    ``root/backing``, stuck (no write answered) while the file ``root/stuck`` exists, and whose
    fsync fails while ``root/failing_sync`` exists. Yields (mountpoint, backing)."""
    backing, mountpoint = os.path.join(root, "backing"), os.path.join(root, "mnt")
    os.makedirs(backing, exist_ok=True)
    os.makedirs(mountpoint, exist_ok=True)
    if not os.path.exists("/dev/fuse"):
        raise MountUnavailable("no /dev/fuse")
    server = subprocess.Popen(
        [
            sys.executable,
            os.path.join(HERE, "slowfs.py"),
            backing,
            mountpoint,
            str(delay),
            os.path.join(root, "stuck"),
            os.path.join(root, "failing_sync"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    if server.stdout.readline().strip() != "ready":
        server.kill()
        raise MountUnavailable(f"cannot mount FUSE: {server.communicate()[1].strip()}")
    try:
        yield mountpoint, backing
    finally:
        server.kill()  # aborts the connection: anything still waiting on the mount fails
        server.wait()
        subprocess.run(["umount", "-l", mountpoint], capture_output=True)


# The scenarios. Each takes the library and a fresh directory.


def sigkill_after_flush(lib: str, root: str, n: int = 20_000) -> Outcome:
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import os, signal
        w = SummaryWriter({logdir!r})
        for i in range({n}):
            w.add_scalar("x", float(i), i)
        w.flush()
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        timeout=120,
    )
    outcome.files = read_files(logdir)
    return outcome


def sigkill_while_logging(lib: str, root: str, delay: float) -> Outcome:
    """SIGKILL ``delay`` seconds into a loop that logs scalars, text and histograms of many
    sizes, flushing now and then."""
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import time
        import numpy as np
        w = SummaryWriter({logdir!r}, max_queue=50, flush_secs=1)
        rng = np.random.default_rng(0)
        print("started", flush=True)
        for i in range(10**9):
            w.add_scalar("x", float(i), i)
            if i % 50 == 0:
                w.add_text("t", "y" * int(rng.integers(0, 20_000)), i)
            if i % 13 == 0:
                w.add_histogram("h", rng.normal(size=int(rng.integers(1, 1000))), i)
            if i % 101 == 0:
                w.flush()
            time.sleep(0.0001)  # a few MB/s: TensorBoard's reader must get through it
        """,
        timeout=120,
        kill_after="started",
        kill_delay=delay,
    )
    outcome.files = read_files(logdir)
    return outcome


def exit_without_close(
    lib: str, root: str, n: int = 5000, os_exit_after_flush: bool = False
) -> Outcome:
    logdir = os.path.join(root, "run")
    ending = "w.flush()\nimport os; os._exit(0)" if os_exit_after_flush else "pass"
    code = f"""
        w = SummaryWriter({logdir!r}, max_queue=1000, flush_secs=3600)
        for i in range({n}):
            w.add_scalar("x", float(i), i)
        """
    outcome = run(
        lib,
        textwrap.dedent(code) + ending,
        timeout=60,
    )
    outcome.files = read_files(logdir)
    return outcome


def exit_on_stuck_disk(lib: str, root: str) -> Outcome:
    """The disk stops answering writes; the script ends without close(). Prints ``exited=``
    (seconds) from the last exit handler: how long the interpreter's exit took for the writer."""
    code = """
        import atexit, sys, time
        start = time.monotonic()
        atexit.register(lambda: print(f"exited={time.monotonic() - start:.1f}", flush=True))
        w = SummaryWriter(LOGDIR)
        if "turboboard" in sys.modules:
            # The exit timeout is 30 s; shorter here to keep the test short.
            import turboboard._process
            turboboard._process._EXIT_TIMEOUT_SECS = 2.0
        for i in range(20):
            w.add_scalar("x", float(i), i)
        STICK()  # the next write waits for ever
        for i in range(20, 40):
            w.add_scalar("x", float(i), i)
        start = time.monotonic()
        """
    return run_on_stuck_disk(lib, root, code, until="exited=")


def run_on_stuck_disk(lib: str, root: str, code: str, until: str) -> Outcome:
    """Runs ``code`` against a disk that stops answering writes once the code calls
    ``STICK()`` (``LOGDIR`` is a directory on it), until it prints ``until``; then the mount is
    torn down, so that the process (whose writer thread waits in the kernel) can finish. A
    script that did not print ``until`` within 20 s counts as hung."""
    with slow_disk(root, delay=0) as (mountpoint, _):
        stuck = os.path.join(root, "stuck")
        prelude = (
            f"LOGDIR = {os.path.join(mountpoint, 'run')!r}\n"
            f"def STICK():\n    open({stuck!r}, 'w').close()\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", IMPORTS[lib] + "\n" + prelude + textwrap.dedent(code)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        start = time.monotonic()
        lines: list[str] = []
        assert proc.stdout is not None
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        deadline = start + 20
        while not any(until in x for x in lines) and time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        in_time = any(until in x for x in lines)
    # The mount is gone: anything the process still waited on has failed.
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    reader.join(timeout=5)
    assert proc.stderr is not None
    out, err = "".join(lines), proc.stderr.read()
    # A script that got there only once the mount was torn down counts as a hang.
    return Outcome(proc.returncode if in_time else None, out, err, time.monotonic() - start)


def close_on_stuck_disk(lib: str, root: str) -> Outcome:
    """The disk stops answering writes; then close(): with a timeout (turboboard's), twice, and
    without one, interrupted by SIGINT half a second in. Prints ``timeout1=``/``timeout2=``
    (seconds) for each close that timed out, then ``interrupted=`` for the Ctrl-C (or
    ``closed=`` if a close returned)."""
    code = """
        import os, signal, sys, threading, time
        w = SummaryWriter(LOGDIR)
        for i in range(20):
            w.add_scalar("x", float(i), i)
        w.flush()
        STICK()  # the next write waits for ever
        for i in range(20, 40):
            w.add_scalar("x", float(i), i)
        if "turboboard" in sys.modules:
            for n, timeout in ((1, 1.0), (2, 0.5)):
                start = time.monotonic()
                try:
                    w.close(timeout=timeout)
                    print(f"closed{n}=1", flush=True)
                except TimeoutError:
                    print(f"timeout{n}={time.monotonic() - start:.1f}", flush=True)
        # Python's own Ctrl-C handler, even if this process started with SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        start = time.monotonic()
        try:
            w.close()
            print("closed=1", flush=True)
        except KeyboardInterrupt:
            print(f"interrupted={time.monotonic() - start:.1f}", flush=True)
        os._exit(0)
        """
    return run_on_stuck_disk(lib, root, code, until="interrupted=")


def report_error_then_close(code: str, since: str) -> str:
    """``code``, whose last statement is a ``try:`` that logs until the library raises, then the
    lines that print ``raised=``, ``errno=`` and ``after=`` (seconds since the time ``since``),
    and what ``w.close()`` does then: ``close=ok`` or ``close=<exception>``."""
    return textwrap.dedent(code) + textwrap.dedent(
        f"""\
        except Exception as e:
            print(f"raised={{type(e).__name__}}: {{e}}")
            print(f"errno={{getattr(e, 'errno', None)}}")
            print(f"after={{time.monotonic() - ({since}):.2f}}")
        try:
            w.close()
            print("close=ok")
        except Exception as e:
            print(f"close={{type(e).__name__}}")
        """
    )


def disk_full(lib: str, root: str, mode: str = "scalars") -> Outcome:
    """Logs into a 256 KiB tmpfs until the library raises (or 20 s pass). Prints
    ``raised=<exception>`` and ``after=<seconds since the disk filled>``; then what close()
    does."""
    mount = os.path.join(root, "tmpfs")
    with small_tmpfs(mount, "256k"):
        logdir = os.path.join(mount, "run")
        flush_secs = 0.2 if mode == "periodic" else 120
        max_queue = 10**6 if mode == "periodic" else 10
        code = f"""
            import os, time
            w = SummaryWriter({logdir!r}, max_queue={max_queue}, flush_secs={flush_secs})
            full_at = None
            try:
                for i in range(10**7):
                    w.add_scalar("x", float(i), i)
                    if {mode == "flush"} and i % 100 == 0:
                        w.flush()
                    if full_at is None and os.statvfs({mount!r}).f_bavail == 0:
                        full_at = time.monotonic()
                        print("full", flush=True)
                    if full_at and time.monotonic() - full_at > 20:
                        print("raised=nothing")
                        break
                    if {mode == "periodic"}:
                        time.sleep(0.0002)
            """
        outcome = run(lib, report_error_then_close(code, "full_at or time.monotonic()"), timeout=60)
        outcome.files = read_files(logdir)
    return outcome


def failing_sync(lib: str, root: str) -> Outcome:
    """The disk reports lost data only through fsync (EIO), as after a failed write-back. Logs
    2 MiB of text (a writer that syncs on the way finds out there), then a scalar and a flush()
    at a time until the library raises (or 10 s pass). Prints ``raised=``, ``errno=`` and
    ``after=`` (seconds since the first event), then what close() does."""
    with slow_disk(root, delay=0) as (mountpoint, _):
        open(os.path.join(root, "failing_sync"), "w").close()
        logdir = os.path.join(mountpoint, "run")
        code = f"""
            import time
            w = SummaryWriter({logdir!r})
            start = time.monotonic()
            try:
                for i in range(64):
                    w.add_text("notes", "x" * 32768, i)
                i = 0
                while time.monotonic() - start < 10:
                    w.add_scalar("x", float(i), i)
                    w.flush()
                    i += 1
                print("raised=nothing")
            """
        return run(lib, report_error_then_close(code, "start"), timeout=60)


def removed_logdir(lib: str, root: str, periodic: bool) -> Outcome:
    """Removes the log directory while logging; with ``periodic``, relies on ``flush_secs``
    instead of calling flush(). Prints ``raised=`` and ``after=`` (seconds after removal)."""
    logdir = os.path.join(root, "run")
    flush = "" if periodic else "w.flush()"
    return run(
        lib,
        f"""
        import shutil, time
        w = SummaryWriter({logdir!r}, flush_secs={0.2 if periodic else 120})
        w.add_scalar("x", 0.0, 0)
        w.flush()
        shutil.rmtree({logdir!r})
        start = time.monotonic()
        try:
            for i in range(1, 10**6):
                w.add_scalar("x", float(i), i)
                {flush}
                time.sleep(0.001)
                if time.monotonic() - start > 5:
                    print("raised=nothing")
                    break
        except Exception as e:
            print(f"raised={{type(e).__name__}}: {{e}}")
            print(f"after={{time.monotonic() - start:.2f}}")
        import os
        print(f"recreated={{os.path.exists({logdir!r})}}")
        """,
        timeout=60,
    )


def removed_logdir_at_exit(lib: str, root: str) -> Outcome:
    """Removes the log directory, logs, and exits without close(): is the loss reported?"""
    logdir = os.path.join(root, "run")
    return run(
        lib,
        f"""
        import shutil
        w = SummaryWriter({logdir!r})
        shutil.rmtree({logdir!r})
        w.add_scalar("x", 1.0, 1)
        """,
        timeout=60,
    )


def fork_child_logs(lib: str, root: str) -> Outcome:
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import os
        w = SummaryWriter({logdir!r}, max_queue=1000)
        w.add_scalar("parent", 0.0, 0)  # still queued at the fork
        pid = os.fork()
        if pid == 0:
            for i in range(100):
                w.add_scalar("child", float(i), i)
            w.close()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print(f"child_status={{status}}")
        w.add_scalar("parent", 1.0, 1)
        w.close()
        """,
        timeout=30,
    )
    outcome.files = read_files(logdir)
    return outcome


def multiprocessing_children(lib: str, root: str, method: str, flush: bool = True) -> Outcome:
    """A module-level writer; a pool of children of ``method`` (fork, spawn, forkserver) logs
    into it, with or without ``flush()``, and is closed and joined."""
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import multiprocessing as mp
        w = SummaryWriter({logdir!r})

        def work(i):
            w.add_scalar("child", float(i), i)
            if {flush}:
                w.flush()
            return i

        if __name__ == "__main__":
            w.add_scalar("parent", 0.0, 0)
            pool = mp.get_context({method!r}).Pool(2)
            assert pool.map(work, range(8)) == list(range(8))
            pool.close()
            pool.join()
            w.add_scalar("parent", 1.0, 1)
            w.close()
        """,
        timeout=90,
        cwd=root,
        script=True,
    )
    outcome.files = read_files(logdir)
    return outcome


def dataloader_workers(lib: str, root: str, context: str, flush: bool = True) -> Outcome:
    """torch DataLoader, num_workers=2, a dataset that logs through the writer it holds, with
    or without ``flush()``."""
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import torch
        from torch.utils.data import DataLoader, Dataset

        class Logged(Dataset):
            def __init__(self, writer):
                self.writer = writer
            def __len__(self):
                return 16
            def __getitem__(self, i):
                self.writer.add_scalar("item", float(i), i)
                if {flush}:
                    self.writer.flush()
                return torch.tensor([float(i)])

        if __name__ == "__main__":
            w = SummaryWriter({logdir!r})
            loader = DataLoader(Logged(w), batch_size=4, num_workers=2,
                                multiprocessing_context={context!r})
            total = sum(float(b.sum()) for b in loader)
            w.add_scalar("total", total, 0)
            w.close()
            print(f"total={{total}}")
        """,
        timeout=120,
        cwd=root,
        script=True,
    )
    outcome.files = read_files(logdir)
    return outcome


def threads_one_writer(lib: str, root: str, n: int = 2000) -> Outcome:
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import threading
        import numpy as np
        w = SummaryWriter({logdir!r})
        def log(t):
            rng = np.random.default_rng(t)
            for i in range({n}):
                w.add_scalar(f"s{{t}}", float(i), i)
                if i % 50 == 0:
                    w.add_histogram(f"h{{t}}", rng.normal(size=100_000), i)
                    w.add_text(f"t{{t}}", "z" * 10_000, i)
        threads = [threading.Thread(target=log, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        w.close()
        """,
        timeout=120,
    )
    outcome.files = read_files(logdir)
    return outcome


def writers_in_one_second(lib: str, root: str, processes: bool) -> Outcome:
    """20 writers opened on one directory at the same moment (in 20 processes, or in one),
    each logging 100 scalars under its own tag."""
    logdir = os.path.join(root, "run")
    ready = os.path.join(root, "ready")
    os.makedirs(ready)
    # A barrier: every process has started and imported before any opens its writer.
    writer_code = f"""
        import os, time
        open(os.path.join({ready!r}, str(KS[0])), "w").close()
        while len(os.listdir({ready!r})) < {20 if processes else 1}:
            time.sleep(0.001)
        writers = [SummaryWriter({logdir!r}) for k in KS]
        for k, w in zip(KS, writers):
            for i in range(100):
                w.add_scalar(f"w{{k}}", float(i), i)
        for w in writers:
            w.close()
        """
    if processes:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", f"{IMPORTS[lib]}\nKS = [{k}]{textwrap.dedent(writer_code)}"],
                stderr=subprocess.PIPE,
                text=True,
            )
            for k in range(20)
        ]
        codes = [p.wait(timeout=300) for p in procs]
        outcome = Outcome(max(codes, key=abs), "", "".join(p.stderr.read() for p in procs), 0.0)
    else:
        outcome = run(lib, "KS = range(20)\n" + textwrap.dedent(writer_code), timeout=60)
    outcome.files = read_files(logdir)
    return outcome


def close_flush_misuse(lib: str, root: str) -> Outcome:
    """close() twice, calls after close(), flush() from 8 threads while 8 threads log."""
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import threading
        w = SummaryWriter({logdir!r})
        def log(t):
            for i in range(500):
                w.add_scalar(f"s{{t}}", float(i), i)
        def flush():
            for _ in range(50):
                w.flush()
        threads = [threading.Thread(target=f, args=a) for t in range(8)
                   for f, a in ((log, (t,)), (flush, ()))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        w.close()
        w.close()
        for call in ("flush", "scalar", "close"):
            try:
                if call == "scalar":
                    w.add_scalar("after", 1.0, 1)
                else:
                    getattr(w, call)()
                print(f"{{call}}_after_close=ok")
            except Exception as e:
                print(f"{{call}}_after_close={{type(e).__name__}}")
        """,
        timeout=60,
    )
    outcome.files = read_files(logdir)
    return outcome


def run_on_slow_disk(lib: str, root: str, delay: float, queue_bytes: int, code: str) -> Outcome:
    """Runs ``code`` against a disk that takes ``delay`` s per 128 KiB write, with ``LOGDIR`` a
    directory on it and ``OPTIONS`` the writer's keyword arguments (turboboard's
    ``max_queue_bytes=queue_bytes``); the outcome's files are what reached the disk."""
    with slow_disk(root, delay) as (mountpoint, backing):
        options = {"max_queue_bytes": queue_bytes} if lib == "turboboard" else {}
        prelude = f"LOGDIR = {os.path.join(mountpoint, 'run')!r}\nOPTIONS = {options!r}\n"
        outcome = run(lib, prelude + textwrap.dedent(code), timeout=180)
        outcome.files = read_files(os.path.join(backing, "run"))
    return outcome


def slow_disk_producer(lib: str, root: str, delay: float = 0.005) -> Outcome:
    """A producer of 40 MiB of text against a disk that takes ``delay`` s per 128 KiB write,
    with a Python thread spinning beside it. Prints ``peak_mb`` (the most the RSS grew, sampled
    by that thread),
    ``spins_while_blocked`` (the spinner's progress during the call that waited longest) and
    ``longest`` (that call's seconds)."""
    return run_on_slow_disk(
        lib,
        root,
        delay,
        2 << 20,
        """
        import os, threading, time
        w = SummaryWriter(LOGDIR, **OPTIONS)
        text = "x" * (1 << 20)
        spins = 0
        done = False
        page = os.sysconf("SC_PAGE_SIZE")
        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * page
        base = peak = rss()
        def spin():
            global spins, peak
            while not done:
                spins += 1
                if spins % 1000 == 0:
                    peak = max(peak, rss())
        spinner = threading.Thread(target=spin)
        spinner.start()
        longest, spun = 0.0, 0
        for i in range(40):
            before, t = spins, time.monotonic()
            w.add_text("t", text, i)
            took = time.monotonic() - t
            if took > longest:
                longest, spun = took, spins - before
        done = True
        spinner.join()
        print(f"peak_mb={(peak - base) / 2**20:.1f}")
        print(f"longest={longest:.3f}")
        print(f"spins_while_blocked={spun}")
        w.close()
        """,
    )


def fork_while_threads_wait(lib: str, root: str, forks: int = 20, delay: float = 0.02) -> Outcome:
    """On a disk slower than the producers (``delay`` s per 128 KiB write), three threads call
    flush() in a loop and three log 1 MiB texts into a full queue (turboboard's
    ``max_queue_bytes``), so they keep waiting, while the main thread forks ``forks`` times.
    Each child logs a scalar and a histogram through the inherited writer and closes it; a child
    not done within 20 s is killed. Prints ``children=`` (each child's exit code, or ``hung``),
    ``flushes=`` and ``texts=`` (what the waiting threads got through meanwhile)."""
    return run_on_slow_disk(
        lib,
        root,
        delay,
        1 << 20,
        f"""
        import os, threading, time
        import numpy as np
        w = SummaryWriter(LOGDIR, **OPTIONS)
        text = "x" * (1 << 20)
        stop = False
        counts = {{"flushes": 0, "texts": 0}}
        def flushes():
            while not stop:
                w.flush()
                counts["flushes"] += 1
        def texts():
            while not stop:
                w.add_text("t", text, counts["texts"])
                counts["texts"] += 1
        # Each wait that ends or times out takes the writer's locks without the GIL: the more
        # waiters, the more forks land in such a moment.
        threads = [threading.Thread(target=f) for f in (flushes, texts) * 3]
        for t in threads:
            t.start()
        time.sleep(0.5)
        children = []
        for k in range({forks}):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    w.add_scalar("child", float(k), k)
                    w.add_histogram("h", np.arange(100.0) * k, k)
                    w.close()
                    code = 0
                finally:
                    os._exit(code)
            deadline = time.monotonic() + 20
            while (ended := os.waitpid(pid, os.WNOHANG)) == (0, 0):
                if time.monotonic() > deadline:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    break
                time.sleep(0.01)
            hung = ended == (0, 0)
            children.append("hung" if hung else str(os.waitstatus_to_exitcode(ended[1])))
        stop = True
        for t in threads:
            t.join()
        w.close()
        print(f"children={{','.join(children)}}")
        print(f"flushes={{counts['flushes']}}")
        print(f"texts={{counts['texts']}}")
        """,
    )


def memory_after_large_event(lib: str, root: str) -> Outcome:
    """One 100 MB ``add_audio`` (25 million float32 samples), flushed, then a few scalars, each
    flushed, with the writer left open. Prints ``kept_mb``: how much more memory (RSS, from
    /proc/self/statm) the process holds than before the clip was made."""
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import gc, os
        import numpy as np
        page = os.sysconf("SC_PAGE_SIZE")
        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * page
        w = SummaryWriter({logdir!r})
        w.add_scalar("x", 0.0, 0)
        w.flush()
        before = rss()
        clip = np.full(25_000_000, 0.25, dtype=np.float32)
        w.add_audio("big", clip, 0, 44100)
        w.flush()
        del clip
        gc.collect()
        for step in range(1, 4):
            w.add_scalar("x", float(step), step)
            w.flush()
        print(f"kept_mb={{(rss() - before) / 2**20:.1f}}")
        w.close()
        """,
        timeout=120,
    )
    outcome.files = read_files(logdir)
    return outcome


def unencodable_event(lib: str, root: str) -> Outcome:
    """Scalars and images around one video that passes ``add_video``'s checks but that no GIF
    can hold (65,536 pixels wide; a GIF's side is 65,535 at most): turboboard finds out on its
    writer thread. Prints what each call raised (``ok`` if nothing): ``video=`` (the
    ``add_video``), ``flush1=`` (the flush right after it), then, after more events,
    ``flush2=`` and ``close=``."""
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import numpy as np
        def attempt(name, call, *args):
            try:
                call(*args)
                print(f"{{name}}=ok", flush=True)
            except Exception as e:
                print(f"{{name}}={{type(e).__name__}}: {{e}}".replace("\\n", " "), flush=True)
        w = SummaryWriter({logdir!r})
        image = np.full((3, 8, 8), 0.5, dtype=np.float32)
        for i in range(5):
            w.add_scalar("x", float(i), i)
            w.add_image("img", image, i)
        wide = np.zeros((1, 1, 3, 1, 65536), dtype=np.uint8)
        attempt("video", w.add_video, "v", wide, 5)
        attempt("flush1", w.flush)
        for i in range(5, 10):
            w.add_scalar("x", float(i), i)
            w.add_image("img", image, i)
        attempt("flush2", w.flush)
        attempt("close", w.close)
        """,
        timeout=60,
    )
    outcome.files = read_files(logdir)
    return outcome


def array_borrowed_for_writing(lib: str, root: str) -> Outcome:
    """Another Rust extension holds the caller's array for writing: the scenario takes the
    borrow through rust-numpy's shared borrow checking API (the capsule
    ``_RUST_NUMPY_BORROW_CHECKING_API`` on numpy's ``multiarray`` module, which the first
    rust-numpy extension to borrow an array publishes), exactly as such an extension does, calls
    ``add_*`` with the array, releases the borrow and calls again. Prints ``<case>_borrowed=``
    and ``<case>_released=`` (``ok`` or what was raised) for each case, and ``api=`` (the API's
    version, or ``none`` if no extension published it)."""
    logdir = os.path.join(root, "run")
    outcome = run(
        lib,
        f"""
        import ctypes
        import numpy as np
        try:
            from numpy._core import multiarray
        except ImportError:  # numpy 1
            from numpy.core import multiarray

        def attempt(call):
            try:
                call()
                return "ok"
            except BaseException as e:  # rust-numpy's PanicException is a BaseException
                return f"{{type(e).__name__}}: {{e}}".replace("\\n", " ")

        w = SummaryWriter({logdir!r})
        w.add_histogram("first", np.arange(3.0), 0)  # turboboard's first borrow publishes the API
        capsule = getattr(multiarray, "_RUST_NUMPY_BORROW_CHECKING_API", None)
        shared = None
        if capsule is not None:
            get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
            get_pointer.restype = ctypes.c_void_p
            get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
            # PYFUNCTYPE: called with the GIL held, as rust-numpy's entry points require.
            Borrow = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
            Release = ctypes.PYFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)

            class Shared(ctypes.Structure):
                # rust-numpy's struct Shared (src/borrow/shared.rs), version 1.
                _fields_ = [
                    ("version", ctypes.c_uint64),
                    ("flags", ctypes.c_void_p),
                    ("acquire", Borrow),
                    ("acquire_mut", Borrow),
                    ("release", Release),
                    ("release_mut", Release),
                ]

            name = b"_RUST_NUMPY_BORROW_CHECKING_API"
            shared = Shared.from_address(get_pointer(capsule, name))
        print(f"api={{shared.version if shared else 'none'}}")

        values = np.linspace(0.0, 1.0, 1000)
        image = np.full((3, 8, 8), 0.5)
        labels = np.array([0.0, 1.0, 1.0, 0.0])
        edges = np.array([0.0, 0.5, 1.0])
        cases = [
            ("histogram", values, lambda: w.add_histogram("h", values, 1)),
            ("bins", edges, lambda: w.add_histogram("hb", values, 1, bins=edges)),
            ("image", image, lambda: w.add_image("img", image, 1)),
            ("labels", labels, lambda: w.add_pr_curve("pr", labels, np.linspace(0, 1, 4), 1)),
        ]
        try:
            import ml_dtypes  # numpy's bfloat16: add_tensor reads it as 16-bit patterns

            bf16 = np.arange(4.0).astype(ml_dtypes.bfloat16)
            cases.append(("bfloat16", bf16, lambda: w.add_tensor("t", bf16, 1)))
        except ImportError:
            pass
        for case, array, call in cases:
            if shared is not None:
                assert shared.acquire_mut(shared.flags, id(array)) == 0
            print(f"{{case}}_borrowed={{attempt(call)}}", flush=True)
            if shared is not None:
                shared.release_mut(shared.flags, id(array))
            print(f"{{case}}_released={{attempt(call)}}", flush=True)
        w.close()
        """,
        timeout=60,
    )
    outcome.files = read_files(logdir)
    return outcome


# The comparison table.


def _table() -> list[tuple[str, dict[str, str]]]:
    def describe(lib: str, name: str, fn) -> str:
        with tempfile.TemporaryDirectory() as root:
            try:
                o = fn(lib, root)
            except MountUnavailable as e:
                return f"skipped ({e})"
            except Exception as e:
                return f"scenario error: {type(e).__name__}: {e}"
        status = "hang" if o.hung else ("ok" if o.returncode == 0 else f"exit {o.returncode}")
        if o.hung:
            status = f"hang (killed after {o.seconds:.0f} s)"
        valid = "" if o.files.valid else ", corrupt file"
        return describe_outcome(name, o, status) + valid

    rows = []
    for name, fn in SCENARIOS.items():
        rows.append((name, {lib: describe(lib, name, fn) for lib in LIBS}))
        print(name, rows[-1][1], file=sys.stderr, flush=True)
    return rows


def describe_outcome(name: str, o: Outcome, status: str) -> str:
    m = o.marks()
    f = o.files
    if name == "SIGKILL after flush() of 20,000 scalars":
        return f"{len(f.steps('x')):,} of 20,000 on disk"
    if name.startswith("SIGKILL at random"):
        return f"{status}; tails {sorted(set(f.tails))}"
    if name.startswith("exit without close"):
        return f"{status}; {len(f.steps('x')):,} of 5,000 on disk"
    if name.startswith("os._exit"):
        return f"{status}; {len(f.steps('x')):,} of 5,000 on disk"
    if name.startswith("stuck disk"):
        return "exit hangs" if o.hung else f"exit handlers done in {m.get('exited')} s"
    if name.startswith("disk full") or name.startswith("fsync fails"):
        if o.hung:
            return "hang"
        return f"{m.get('raised', '?')[:40]} after {m.get('after', '?')} s; close: {m.get('close')}"
    if name.startswith("log dir removed"):
        if "at exit" in name:
            return "warned" if "turboboard" in o.stderr or o.stderr.strip() else "silent"
        return f"{m.get('raised', '?')[:40]} after {m.get('after', '-')} s"
    if name.startswith("os.fork"):
        if o.hung:
            return "child hangs"
        return (
            f"child status {m.get('child_status')}; {len(f.paths)} files; child events "
            f"{len(f.steps('child'))}/100; parent {f.steps('parent')}"
        )
    if name.startswith("multiprocessing") or name.startswith("DataLoader"):
        if o.hung:
            return "hang"
        tag = "child" if name.startswith("multi") else "item"
        n = 8 if tag == "child" else 16
        return f"{status}; {len(f.paths)} files; {len(set(f.steps(tag)))}/{n} child events"
    if name.startswith("8 threads"):
        scalars = sum(len(f.steps(f"s{t}")) for t in range(8))
        others = sum(len(f.steps(f"h{t}")) + len(f.steps(f"t{t}/text_summary")) for t in range(8))
        return f"{status}; {scalars:,}/16,000 scalars, {others}/640 histograms and texts"
    if name.startswith("20 writers"):
        writers = len({t for t, _ in f.all_values})
        return f"{status}; {len(f.paths)} files; events of {writers}/20 writers"
    if name.startswith("close twice"):
        calls = ", ".join(f"{k.split('_')[0]}: {v}" for k, v in m.items())
        return f"{status}; after close: {calls}"
    if name.startswith("20 forks"):
        if o.hung:
            return f"{status}, children or waiting threads stuck"
        children = m.get("children", "").split(",")
        return f"{status}; {children.count('0')}/20 children done, {children.count('hung')} hung"
    if name.startswith("memory after"):
        return f"{status}; {m.get('kept_mb')} MB kept"
    if name.startswith("an event that cannot"):
        return (
            f"{status}; add_video: {m.get('video', '?')[:40]}; next flush: "
            f"{m.get('flush1', '?')[:40]}; later: {m.get('flush2')}, close {m.get('close')}; "
            f"{len(f.steps('x'))}/10 scalars, {len(f.steps('img'))}/10 images, "
            f"{len(f.steps('v'))} videos"
        )
    if name.startswith("an array borrowed"):
        borrowed = {k: v.split(":")[0] for k, v in m.items() if k.endswith("_borrowed")}
        return f"{status}; API {m.get('api')}; while borrowed: {borrowed}"
    if name.startswith("slow disk"):
        return (
            f"{status}; peak RSS +{m.get('peak_mb')} MB; longest call {m.get('longest')} s, "
            f"other thread ran {m.get('spins_while_blocked')} loops meanwhile"
        )
    return status


SCENARIOS = {
    "SIGKILL after flush() of 20,000 scalars": sigkill_after_flush,
    "SIGKILL at random moments (5 runs)": lambda lib, root: _worst(
        [sigkill_while_logging(lib, os.path.join(root, str(k)), 0.3 + 0.4 * k) for k in range(5)]
    ),
    "exit without close (5,000 scalars)": exit_without_close,
    "os._exit after flush()": lambda lib, root: exit_without_close(
        lib, root, os_exit_after_flush=True
    ),
    "stuck disk at exit": exit_on_stuck_disk,
    "stuck disk, close() with a timeout, then Ctrl-C": close_on_stuck_disk,
    "disk full (256 KiB tmpfs)": disk_full,
    "disk full, periodic flush only": lambda lib, root: disk_full(lib, root, "periodic"),
    "fsync fails (EIO) after 2 MiB": failing_sync,
    "log dir removed, flush()": lambda lib, root: removed_logdir(lib, root, periodic=False),
    "log dir removed, periodic flush only": lambda lib, root: removed_logdir(
        lib, root, periodic=True
    ),
    "log dir removed, then exit without close (at exit)": removed_logdir_at_exit,
    "os.fork child logs via the inherited writer": fork_child_logs,
    "multiprocessing fork pool": lambda lib, root: multiprocessing_children(lib, root, "fork"),
    "multiprocessing spawn pool": lambda lib, root: multiprocessing_children(lib, root, "spawn"),
    "multiprocessing fork pool, no flush() in the workers": lambda lib, root: (
        multiprocessing_children(lib, root, "fork", flush=False)
    ),
    "DataLoader workers (fork)": lambda lib, root: dataloader_workers(lib, root, "fork"),
    "DataLoader workers (fork), no flush() in the workers": lambda lib, root: dataloader_workers(
        lib, root, "fork", flush=False
    ),
    "DataLoader workers (spawn)": lambda lib, root: dataloader_workers(lib, root, "spawn"),
    "8 threads into one writer": threads_one_writer,
    "20 writers in one second, one process": lambda lib, root: writers_in_one_second(
        lib, root, processes=False
    ),
    "20 writers in one second, 20 processes": lambda lib, root: writers_in_one_second(
        lib, root, processes=True
    ),
    "close twice, calls after close, flush from threads": close_flush_misuse,
    "slow disk (FUSE, 5 ms per 128 KiB write), 40 MiB producer": slow_disk_producer,
    "20 forks while threads wait in flush() and on a full queue (slow disk)": (
        fork_while_threads_wait
    ),
    "memory after one 100 MB add_audio, writer open": memory_after_large_event,
    "an event that cannot be encoded (a 65,536-pixel-wide video)": unencodable_event,
    "an array borrowed for writing by another Rust extension": array_borrowed_for_writing,
}


def _worst(outcomes: list[Outcome]) -> Outcome:
    bad = [o for o in outcomes if not o.files.valid]
    worst = bad[0] if bad else outcomes[0]
    worst.files.tails = sorted({t for o in outcomes for t in o.files.tails})
    return worst


def main() -> None:
    only = sys.argv[1:]
    if only:
        for key in list(SCENARIOS):
            if not any(o.lower() in key.lower() for o in only):
                del SCENARIOS[key]
    rows = _table()
    print("| scenario | " + " | ".join(LIBS) + " |")
    print("| --- |" + " --- |" * len(LIBS))
    for name, cells in rows:
        print(f"| {name} | " + " | ".join(cells[lib] for lib in LIBS) + " |")


if __name__ == "__main__":
    main()
