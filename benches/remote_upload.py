"""What writing a run to an s3:// log directory costs on the wire, per writer.

Starts the test S3 server (moto behind the counting proxy of tests/s3server.py), runs one
workload per writer against ``s3://bucket/<writer>-<case>``, and prints the bytes of events the
run ends up holding beside the bytes the writer uploaded to get there, and its requests. The
proxy counts what any client sends (request lines, headers and bodies), so every writer is
measured the same way.

    python benches/remote_upload.py                      # both cases, every writer
    python benches/remote_upload.py --steps 5000 --writers tensorboardX

Cases:
- ``flush-every``: ``--steps`` add_scalar calls as fast as they come, ``writer.flush()`` every
  ``--flush-every`` steps (the writer's own timed flush pushed out of the way);
- ``flush-secs``: the same steps spread evenly over ``--duration`` seconds, no explicit flush,
  the writer built with ``flush_secs=--flush-secs``.

A writer is a function ``(url, case) -> None`` in ``WRITERS``. turboboard's is skipped, with the
reason printed, while it does not write URLs (it is run in a scratch working directory, so a
version that takes ``s3://...`` for a local path leaves nothing behind).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from s3server import S3Server


@dataclass
class Case:
    name: str
    steps: int
    flush_every: int | None  # explicit flush() every N steps
    flush_secs: float  # the writer's timed flush
    duration: float  # seconds the steps are spread over (0: as fast as possible)


class Skip(Exception):
    """The writer cannot run this case (the message says why)."""


def _workload(writer, case: Case) -> None:
    start = time.monotonic()
    for step in range(case.steps):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
        if case.flush_every and (step + 1) % case.flush_every == 0:
            writer.flush()
        if case.duration:
            delay = start + case.duration * (step + 1) / case.steps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    writer.close()


def tensorboardx_writer(url: str, case: Case) -> None:
    try:
        import boto3  # noqa: F401
        from tensorboardX import SummaryWriter
    except ImportError as e:
        raise Skip(f"not installed: {e}") from e
    _workload(SummaryWriter(url, flush_secs=case.flush_secs), case)


def turboboard_writer(url: str, case: Case) -> None:
    try:
        import turboboard
    except ImportError as e:
        raise Skip(f"not installed: {e}") from e
    with tempfile.TemporaryDirectory() as scratch, _cwd(scratch):
        try:
            writer = turboboard.SummaryWriter(url, flush_secs=case.flush_secs)
        except Exception as e:  # a version that refuses URLs
            raise Skip(f"SummaryWriter({url!r}) raised {type(e).__name__}: {e}") from e
        _workload(writer, case)
        local = [os.path.join(d, f) for d, _, fs in os.walk(scratch) for f in fs]
        if local:
            raise Skip(f"it took the URL for a local path ({len(local)} local files written)")


WRITERS: dict[str, Callable[[str, Case], None]] = {
    "tensorboardX": tensorboardx_writer,
    "turboboard": turboboard_writer,
}


@contextlib.contextmanager
def _cwd(path: str):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def measure(server: S3Server, writer_name: str, case: Case) -> dict | str:
    prefix = f"{writer_name}-{case.name}"
    server.clear(prefix)
    server.reset_stats()
    t0 = time.monotonic()
    try:
        WRITERS[writer_name](server.url(prefix), case)
    except Skip as e:
        return f"skipped: {e}"
    elapsed = time.monotonic() - t0
    stats = server.stats()
    client = server.client(direct=True)
    keys = server.keys(prefix)
    sizes = [client.head_object(Bucket=server.bucket, Key=k)["ContentLength"] for k in keys]
    other = {m: n for m, n in stats.requests.items() if m != "PUT"}
    return {
        "objects": len(keys),
        "event_bytes": sum(sizes),
        "uploaded_body_bytes": stats.put_body_bytes,
        "request_bytes": stats.request_bytes,
        "puts": stats.puts,
        "other_requests": other,
        "connections": stats.connections,
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--flush-every", type=int, default=1_000)
    parser.add_argument("--flush-secs", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--writers", default=",".join(WRITERS))
    parser.add_argument("--cases", default="flush-every,flush-secs")
    args = parser.parse_args()

    cases = {
        "flush-every": Case("flush-every", args.steps, args.flush_every, 3600.0, 0.0),
        "flush-secs": Case("flush-secs", args.steps, None, args.flush_secs, args.duration),
    }
    print(
        f"{args.steps} add_scalar; flush-every: flush() every {args.flush_every} steps; "
        f"flush-secs: flush_secs={args.flush_secs}, steps spread over {args.duration:g} s\n"
    )
    header = (
        f"{'writer':<13} {'case':<12} {'objects':>7} {'event bytes':>12} {'uploaded':>12} "
        f"{'x events':>8} {'on wire':>12} {'PUTs':>5}  {'time s':>6}  other requests"
    )
    with S3Server() as server, server.environ():
        print(header)
        for case_name in args.cases.split(","):
            for writer_name in args.writers.split(","):
                r = measure(server, writer_name, cases[case_name])
                if isinstance(r, str):
                    print(f"{writer_name:<13} {case_name:<12} {r}")
                    continue
                ratio = r["uploaded_body_bytes"] / max(1, r["event_bytes"])
                print(
                    f"{writer_name:<13} {case_name:<12} {r['objects']:>7} {r['event_bytes']:>12,} "
                    f"{r['uploaded_body_bytes']:>12,} {ratio:>8.1f} {r['request_bytes']:>12,} "
                    f"{r['puts']:>5}  {r['seconds']:>6.1f}  {r['other_requests']}",
                    flush=True,
                )
    print(
        "\nevent bytes: what the run holds at the end; uploaded: request bodies of PUT/POST; "
        "on wire: every byte the client sent (headers and bodies of all requests)."
    )


if __name__ == "__main__":
    main()
