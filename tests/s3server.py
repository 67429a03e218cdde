"""A real S3-compatible server for tests: moto's server in a subprocess, behind a small proxy.

The server (``python -m moto.server``, from ``moto[server]``) keeps its data in memory, so a
restarted moto is an empty moto. Outages are therefore simulated by the proxy in front of it,
which is the only port clients ever see:

- ``stop()`` closes the proxy's listening socket and resets every open connection: clients get
  "connection refused" (or a reset mid-request), exactly as if the server had gone away;
  ``start()`` listens again on the same port. The data in moto is kept.
- ``stall()``: requests are accepted but held (no answer) until ``resume()``/``start()``, for
  timeouts.
- ``fail_with(503)``: requests are answered by the proxy with an S3 error document of that
  status (the next ``times`` requests only, or all of them; optionally only some methods). With
  ``forwarded=True`` the server gets the request and acts on it, and its answer is replaced:
  an answer lost on its way back.

The proxy parses the framing of each request (it never changes a byte), so it also counts what
any client uploads: ``stats()`` gives requests per method, request bytes (headers + bodies) and
body bytes, whatever the client (boto3, the Rust ``object_store`` crate, ...).

Needs ``boto3`` and moto's server: ``pip install boto3 'moto[s3]' flask flask-cors`` (the same as
``moto[server]`` for S3, without the other services' dependencies).

Use it as a context manager, through the ``s3_server`` fixture of ``tests/conftest.py``, or from a
shell to try a client by hand::

    python tests/s3server.py          # prints the environment to export, serves until Ctrl-C
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["FaultProxy", "ProxiedServer", "Request", "S3Server", "Stats", "free_port"]

_HOST = "127.0.0.1"


# Runs moto's server, asking Linux to stop it when the process that launched it dies, however it
# dies (SIGKILL included): no moto outlives a killed test run. Elsewhere it just runs moto.
# (Linux ties this to the launching *thread*: launch from one that outlives the server.)
_LAUNCH = """
import os, runpy, signal, sys
parent = int(sys.argv[1])
if sys.platform.startswith("linux"):
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
if os.getppid() != parent:
    sys.exit("s3server: the launching process is gone")
sys.argv = ["moto.server", *sys.argv[2:]]
runpy.run_module("moto.server", run_name="__main__")
"""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((_HOST, 0))
        return s.getsockname()[1]


class Request(NamedTuple):
    """One request a client sent through the proxy."""

    method: str
    target: str  # path and query, e.g. "/bucket/run/events.out.tfevents..."
    body_bytes: int
    headers: dict[str, str]  # names in lower case


@dataclass
class Stats:
    """What clients sent through the proxy since the last ``reset_stats()``."""

    requests: dict[str, int] = field(default_factory=dict)  # per method: {"PUT": 3, ...}
    request_bytes: int = 0  # request lines, headers and bodies: everything sent to the server
    body_bytes: int = 0  # request bodies only (as framed: aws-chunked signatures included)
    put_body_bytes: int = 0  # bodies of PUT and POST requests
    connections: int = 0  # TCP connections accepted
    log: list[Request] = field(default_factory=list)  # every request, in order

    @property
    def puts(self) -> int:
        return self.requests.get("PUT", 0)


class _Closed(Exception):
    pass


class _Reader:
    """Buffered reads from the client socket; every byte read is counted once."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise _Closed
        self.buf += data

    def until(self, sep: bytes, limit: int = 1 << 20) -> bytes:
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise _Closed
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def chunks(self, n: int) -> Iterator[bytes]:
        """Exactly ``n`` bytes, in pieces as they arrive."""
        while n > 0:
            if not self.buf:
                self._fill()
            piece, self.buf = self.buf[:n], self.buf[n:]
            n -= len(piece)
            yield piece


def _error_response(status: int, code: str) -> bytes:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>injected by tests/s3server.py</Message>"
        "<RequestId>0</RequestId></Error>"
    ).encode()
    reason = {
        403: "Forbidden",
        404: "Not Found",
        500: "Internal Server Error",
        503: "Service Unavailable",
        400: "Bad Request",
        429: "Too Many Requests",
    }
    head = (
        f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
        "Content-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    return head + body


class FaultProxy:
    """Forwards 127.0.0.1:port to the backend; can refuse, stall or fail requests."""

    def __init__(self, backend_port: int, port: int = 0):
        self.backend_port = backend_port
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._mode = "down"
        self._fail: tuple[int, str, int | None, frozenset[str] | None, bool] | None = None
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._socks: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self.stats = Stats()

    # -- modes ---------------------------------------------------------------------------

    def up(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._mode = "up"
                self._cond.notify_all()
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            deadline = time.monotonic() + 10
            while True:
                try:
                    listener.bind((_HOST, self.port))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        listener.close()
                        raise
                    time.sleep(0.1)
            listener.listen(128)
            listener.settimeout(0.2)
            self._listener = listener
            self._mode = "up"
            self._cond.notify_all()
            self._accept_thread = threading.Thread(
                target=self._accept_loop, args=(listener,), name="s3proxy-accept", daemon=True
            )
            self._accept_thread.start()

    def down(self) -> None:
        """No listener (connection refused) and every open connection reset."""
        with self._lock:
            self._mode = "down"
            listener, self._listener = self._listener, None
            socks = list(self._socks)
            self._cond.notify_all()
        if listener is not None:
            listener.close()
        for s in socks:
            with contextlib.suppress(OSError):
                # RST rather than FIN: a crashed server, not a polite one.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RDWR)
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
            self._accept_thread = None

    def stall(self) -> None:
        with self._lock:
            self._mode = "stall"

    def fail_with(
        self, status: int, code: str, times: int | None, methods, forwarded: bool
    ) -> None:
        with self._lock:
            only = frozenset(m.upper() for m in methods) if methods else None
            self._fail = (status, code, times, only, forwarded)

    def clear_faults(self) -> None:
        with self._lock:
            self._fail = None

    def close(self) -> None:
        self.down()
        for t in list(self._threads):
            t.join(timeout=5)

    # -- forwarding ----------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return  # listener closed: down
            client.settimeout(None)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    return
                self.stats.connections += 1
                self._socks.add(client)
            t = threading.Thread(target=self._serve, args=(client,), daemon=True)
            with self._lock:
                self._threads.add(t)
            t.start()

    def _take_fault(self, method: str) -> tuple[int, str, bool] | None:
        # Called with the lock held.
        if self._fail is None:
            return None
        status, code, times, methods, forwarded = self._fail
        if methods is not None and method not in methods:
            return None
        if times is not None:
            times -= 1
            self._fail = None if times <= 0 else (status, code, times, methods, forwarded)
        return status, code, forwarded

    def _serve(self, client: socket.socket) -> None:
        server = None
        try:
            server = socket.create_connection((_HOST, self.backend_port), timeout=10)
            server.settimeout(None)
            server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._socks.add(server)
            # Set while the server's answer is to be thrown away; `answered` once it came.
            swallow, answered = threading.Event(), threading.Event()
            back = threading.Thread(
                target=self._pipe_back, args=(server, client, swallow, answered), daemon=True
            )
            back.start()
            reader = _Reader(client)
            while True:
                head = reader.until(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target = [*lines[0].split(" "), "", ""][:2]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                with self._cond:
                    while self._mode == "stall":
                        self._cond.wait(0.2)
                    if self._mode == "down":
                        raise _Closed
                    fault = self._take_fault(method)
                if fault is not None and not fault[2]:
                    client.sendall(_error_response(*fault[:2]))
                    raise _Closed
                if fault is not None:
                    swallow.set()
                server.sendall(head)
                body = 0
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    while True:
                        size_line = reader.until(b"\r\n")
                        server.sendall(size_line)
                        size = int(size_line.split(b";")[0].strip() or b"0", 16)
                        for piece in reader.chunks(size + 2):  # data and its CRLF
                            server.sendall(piece)
                        body += len(size_line) + size + 2
                        if size == 0:
                            break  # (trailers are not supported: no client here sends them)
                else:
                    for piece in reader.chunks(int(headers.get("content-length", "0") or 0)):
                        server.sendall(piece)
                        body += len(piece)
                with self._lock:
                    st = self.stats
                    st.requests[method] = st.requests.get(method, 0) + 1
                    st.request_bytes += len(head) + body
                    st.body_bytes += body
                    if method in ("PUT", "POST"):
                        st.put_body_bytes += body
                    st.log.append(Request(method, target, body, headers))
                if fault is not None:
                    answered.wait(10)
                    client.sendall(_error_response(*fault[:2]))
                    raise _Closed
        except (_Closed, OSError, ValueError):
            pass
        finally:
            for s in (client, server):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()
                    with self._lock:
                        self._socks.discard(s)
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _pipe_back(
        self,
        server: socket.socket,
        client: socket.socket,
        swallow: threading.Event,
        answered: threading.Event,
    ) -> None:
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                if swallow.is_set():
                    answered.set()
                    continue
                client.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)


class ProxiedServer:
    """A server behind a ``FaultProxy``: what clients need, and the faults and counters.

    Subclasses set ``self._proxy`` when launched and define ``env()``.
    """

    def launch(self) -> None:
        """Starts the server behind its proxy (the subclass's)."""
        raise NotImplementedError

    def close(self) -> None:
        """Stops everything; idempotent (the subclass's)."""
        raise NotImplementedError

    def __enter__(self):
        try:
            self.launch()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    _proxy: FaultProxy | None = None

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    @property
    def port(self) -> int:
        assert self._proxy is not None, "server not launched"
        return self._proxy.port

    @property
    def endpoint_url(self) -> str:
        return f"http://{_HOST}:{self.port}"

    @contextlib.contextmanager
    def environ(self) -> Iterator[dict[str, str]]:
        """``os.environ`` updated with ``env()`` inside the block, restored after."""
        env = self.env()
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield env
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    # -- faults --------------------------------------------------------------------------

    def stop(self) -> None:
        """Outage: connections refused, open ones reset. Data is kept."""
        assert self._proxy is not None
        self._proxy.down()

    def start(self) -> None:
        """Ends an outage (or a stall), on the same port."""
        assert self._proxy is not None
        self._proxy.up()

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        self.stop()
        try:
            yield
        finally:
            self.start()

    def stall(self) -> None:
        """Requests are accepted but not answered until ``resume()``."""
        assert self._proxy is not None
        self._proxy.stall()

    def resume(self) -> None:
        self.start()

    def fail_with(
        self,
        status: int = 503,
        code: str | None = None,
        times: int | None = None,
        methods: tuple[str, ...] | None = None,
        forwarded: bool = False,
    ) -> None:
        """Answer requests (the next ``times``, or all; only ``methods`` if given) with an S3 error
        of ``status`` instead of forwarding them, or, if ``forwarded``, instead of the answer of
        the server they were forwarded to. ``clear_faults()`` ends it."""
        assert self._proxy is not None
        default = {
            403: "AccessDenied",
            404: "NoSuchBucket",
            500: "InternalError",
            503: "SlowDown",
            429: "SlowDown",
        }
        code = code or default.get(status, "InternalError")
        self._proxy.fail_with(status, code, times, methods, forwarded)

    def clear_faults(self) -> None:
        """No injected errors, no stall, and the service up."""
        assert self._proxy is not None
        self._proxy.clear_faults()
        self._proxy.up()

    # -- counting ------------------------------------------------------------------------

    def stats(self) -> Stats:
        """A copy of the counters of what clients sent through the proxy."""
        assert self._proxy is not None
        with self._proxy._lock:
            s = self._proxy.stats
            return Stats(
                dict(s.requests),
                s.request_bytes,
                s.body_bytes,
                s.put_body_bytes,
                s.connections,
                list(s.log),
            )

    def reset_stats(self) -> None:
        assert self._proxy is not None
        with self._proxy._lock:
            self._proxy.stats = Stats()


class S3Server(ProxiedServer):
    """moto's S3 server on 127.0.0.1, a bucket in it, and a proxy that can take it down.

    ``endpoint_url`` is the proxy's address: give it to clients. ``stop()``/``start()`` cut and
    restore the service on the same port, with the data kept.
    """

    def __init__(
        self,
        bucket: str = "turboboard-test",
        region: str = "us-east-1",
        access_key_id: str = "testing",
        secret_access_key: str = "testing",
        startup_timeout: float = 60.0,
    ):
        self.bucket = bucket
        self.region = region
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen | None = None
        self._proxy: FaultProxy | None = None
        self._log = None
        self.backend_port = 0

    # -- life cycle ----------------------------------------------------------------------

    def launch(self) -> None:
        """Starts moto, the proxy, and creates the bucket."""
        self._log = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log", delete=False)
        for attempt in range(3):
            self.backend_port = free_port()
            port = str(self.backend_port)
            env = dict(os.environ, MOTO_PORT=port)
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, str(os.getpid()), "-H", _HOST, "-p", port],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: killed whole in close()
            )
            if self._wait_backend():
                break
            self._kill_backend()
            if attempt == 2:
                log = self.server_log()
                raise RuntimeError(f"moto did not start; see {self._log.name}:\n{log}")
        self._proxy = FaultProxy(self.backend_port)
        self._proxy.up()
        self.client().create_bucket(Bucket=self.bucket)
        self.reset_stats()

    def _wait_backend(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://{_HOST}:{self.backend_port}/moto-api/"
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    r.read()
                return True
            except urllib.error.HTTPError:
                return True  # it answers
            except OSError:
                time.sleep(0.2)
        return False

    def _kill_backend(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def close(self) -> None:
        """Stops the proxy and moto (its whole process group); idempotent."""
        if self._proxy is not None:
            self._proxy.close()
            self._proxy = None
        self._kill_backend()
        if self._log is not None:
            self._log.close()
            with contextlib.suppress(OSError):
                os.unlink(self._log.name)
            self._log = None

    def server_log(self) -> str:
        if self._log is None:
            return ""
        with open(self._log.name, errors="replace") as f:
            return f.read()[-4000:]

    # -- what clients need ---------------------------------------------------------------

    @property
    def backend_url(self) -> str:
        """moto itself, bypassing the proxy (not affected by stop/fail_with, not counted)."""
        return f"http://{_HOST}:{self.backend_port}"

    def url(self, prefix: str = "") -> str:
        """``s3://bucket/prefix``."""
        return f"s3://{self.bucket}/{prefix.lstrip('/')}" if prefix else f"s3://{self.bucket}"

    def env(self) -> dict[str, str]:
        """Environment variables for S3 clients: boto3 (tensorboardX, TensorBoard), and the Rust
        object_store crate (``AmazonS3Builder::from_env``: AWS_ENDPOINT_URL == AWS_ENDPOINT)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ALLOW_HTTP": "true",
            # tensorboardX's and TensorBoard's S3 code: boto3.client(endpoint_url=S3_ENDPOINT)
            "S3_ENDPOINT": self.endpoint_url,
            "S3_USE_HTTPS": "0",
            "S3_VERIFY_SSL": "0",
        }

    def client(self, direct: bool = False):
        """A boto3 S3 client (through the proxy, or straight to moto with ``direct``)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.backend_url if direct else self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
        )

    # -- looking at the data (straight to moto: works while the proxy is down) -------------

    def keys(self, prefix: str = "") -> list[str]:
        c = self.client(direct=True)
        out: list[str] = []
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            out.extend(o["Key"] for o in page.get("Contents", []))
        return sorted(out)

    def read(self, key: str) -> bytes:
        return self.client(direct=True).get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def clear(self, prefix: str = "") -> None:
        c = self.client(direct=True)
        for key in self.keys(prefix):
            c.delete_object(Bucket=self.bucket, Key=key)


def main() -> None:
    with S3Server() as server:
        for k, v in server.env().items():
            print(f"export {k}={v}")
        print(f"# bucket: {server.url()}  (moto itself: {server.backend_url})", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.wait(1):
            pass


if __name__ == "__main__":
    main()
