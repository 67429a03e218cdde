"""The GCS and Azure fakes (tests/cloudfakes.py) answer the requests object_store's gs:// and
az:// clients send, with the stores' preconditions and status codes."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest


def call(method: str, url: str, body: bytes | None = None, **headers: str):
    """(status, headers, body) of one request."""
    request = urllib.request.Request(url, data=body, method=method)
    for k, v in headers.items():
        request.add_header(k.replace("_", "-"), v)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_gcs_generations_and_preconditions(gcs_server):
    base = f"{gcs_server.endpoint_url}/{gcs_server.containers[0]}"
    key = "gcs%2Fdir%2Fobj"  # object_store encodes the slashes of object names
    status, headers, _ = call("PUT", f"{base}/{key}", b"one", x_goog_if_generation_match="0")
    assert status == 200
    generation = headers["x-goog-generation"]
    assert call("PUT", f"{base}/{key}", b"two", x_goog_if_generation_match="0")[0] == 412
    assert call("PUT", f"{base}/{key}", b"3", x_goog_if_generation_match=generation)[0] == 200
    assert call("PUT", f"{base}/{key}", b"4", x_goog_if_generation_match=generation)[0] == 412
    assert gcs_server.read("gcs/dir/obj") == b"3"

    status, headers, body = call("GET", f"{base}/{key}", Range="bytes=0-0")
    assert (status, body, headers["Content-Range"]) == (206, b"3", "bytes 0-0/1")
    status, _, listing = call("GET", f"{base}?list-type=2&prefix=gcs%2F&delimiter=%2F")
    assert status == 200 and b"<Prefix>gcs/dir/</Prefix>" in listing
    assert call("DELETE", f"{base}/{key}")[0] == 204
    assert call("GET", f"{gcs_server.endpoint_url}/nobucket/x")[0] == 404


def test_azure_conditions_listing_and_batch_delete(azure_server):
    from cloudfakes import AZURE_ACCOUNT

    base = f"{azure_server.endpoint_url}/{AZURE_ACCOUNT}/{azure_server.containers[0]}"
    blob = {"x_ms_blob_type": "BlockBlob"}
    status, headers, _ = call("PUT", f"{base}/az/obj", b"one", If_None_Match="*", **blob)
    assert status == 201
    etag = headers["ETag"]
    assert call("PUT", f"{base}/az/obj", b"two", If_None_Match="*", **blob)[0] == 409
    assert call("PUT", f"{base}/az/obj", b"3", If_Match=etag, **blob)[0] == 201
    assert call("PUT", f"{base}/az/obj", b"4", If_Match=etag, **blob)[0] == 412

    status, _, listing = call("GET", f"{base}?restype=container&comp=list&prefix=az%2F")
    assert status == 200 and b"<Name>az/obj</Name>" in listing

    boundary = "batch_test"
    part = (
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\n"
        f"DELETE /{azure_server.containers[0]}/az/obj HTTP/1.1\r\n\r\n\r\n"
    )
    status, headers, body = call(
        "POST",
        f"{base}?restype=container&comp=batch",
        (part + f"--{boundary}--\r\n").encode(),
        Content_Type=f"multipart/mixed; boundary={boundary}",
    )
    assert status == 202 and b"HTTP/1.1 202 Accepted" in body
    assert azure_server.keys("az/") == []


@pytest.mark.parametrize("server", ["gcs_server", "azure_server"])
def test_outages_keep_the_data(server, request):
    fake = request.getfixturevalue(server)
    fake.clear("outage/")
    fake.write("outage/k", b"kept")
    with fake.outage():
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(fake.endpoint_url + "/", timeout=5)
    assert fake.read("outage/k") == b"kept"
