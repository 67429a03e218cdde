"""The FUSE helper behind the slow, stuck and failing disks of tests/test_reliability.py: its
structs match the kernel's header field by field, and what it does through a real mount."""

from __future__ import annotations

import os
import re
import shutil
import stat
import struct
import subprocess

import pytest
import scenarios
import slowfs

HEADER = "/usr/include/linux/fuse.h"

# Each Struct of slowfs with the C struct it stands for and the name of each of its fields, in
# order (a count such as 7I is one array field). None marks a field that is not checked: a
# padding the header renames between versions (fuse_open_out's became backing_id) or a field
# older headers lack (total_extlen).
LAYOUTS: list[tuple[struct.Struct, str, list[str | None], bool]] = [
    # (Struct, C struct, fields, whether the Struct is the whole C struct)
    (slowfs.IN_HEADER, "fuse_in_header",
     ["len", "opcode", "unique", "nodeid", "uid", "gid", "pid", None, None], True),
    (slowfs.OUT_HEADER, "fuse_out_header", ["len", "error", "unique"], True),
    (slowfs.ATTR, "fuse_attr",
     ["ino", "size", "blocks", "atime", "mtime", "ctime", "atimensec", "mtimensec", "ctimensec",
      "mode", "nlink", "uid", "gid", "rdev", "blksize", "flags"], True),
    (slowfs.ENTRY_OUT, "fuse_entry_out",
     ["nodeid", "generation", "entry_valid", "attr_valid", "entry_valid_nsec",
      "attr_valid_nsec"], False),
    (slowfs.ATTR_OUT, "fuse_attr_out", ["attr_valid", "attr_valid_nsec", "dummy"], False),
    (slowfs.INIT_IN, "fuse_init_in", ["major", "minor"], False),
    (slowfs.INIT_OUT, "fuse_init_out",
     ["major", "minor", "max_readahead", "flags", "max_background", "congestion_threshold",
      "max_write", "time_gran", "max_pages", "map_alignment", "flags2", "unused"], True),
    (slowfs.SETATTR_IN, "fuse_setattr_in",
     ["valid", "padding", "fh", "size", "lock_owner", "atime", "mtime", "ctime", "atimensec",
      "mtimensec", "ctimensec", "mode", "unused4", "uid", "gid", "unused5"], True),
    (slowfs.MKDIR_IN, "fuse_mkdir_in", ["mode", "umask"], True),  # then the name
    (slowfs.CREATE_IN, "fuse_create_in", ["flags", "mode", "umask", "open_flags"], True),
    (slowfs.OPEN_IN, "fuse_open_in", ["flags", "open_flags"], True),
    (slowfs.OPEN_OUT, "fuse_open_out", ["fh", "open_flags", None], True),
    (slowfs.READ_IN, "fuse_read_in", ["fh", "offset", "size"], False),
    (slowfs.WRITE_IN, "fuse_write_in", ["fh", "offset", "size"], False),
    (slowfs.WRITE_OUT, "fuse_write_out", ["size", "padding"], True),
    (slowfs.FH_IN, "fuse_release_in", ["fh"], False),
    (slowfs.FH_IN, "fuse_fsync_in", ["fh"], False),
    (slowfs.DIRENT, "fuse_dirent", ["ino", "off", "namelen", "type"], False),
    (slowfs.KSTATFS, "fuse_kstatfs",
     ["blocks", "bfree", "bavail", "files", "ffree", "bsize", "namelen", "frsize", "padding",
      "spare"], True),
]  # fmt: skip

# Offsets slowfs uses that are not a field of one of its Structs.
EXTRA = {
    ("fuse_entry_out", "attr"): slowfs.ENTRY_OUT.size,
    ("fuse_attr_out", "attr"): slowfs.ATTR_OUT.size,
    ("fuse_write_in", "sizeof"): slowfs.WRITE_IN_SIZE,  # the data follows
    ("fuse_dirent", "name"): slowfs.DIRENT.size,
    ("fuse_statfs_out", "sizeof"): slowfs.KSTATFS.size,
    ("fuse_entry_out", "sizeof"): slowfs.ENTRY_OUT.size + slowfs.ATTR.size,
    ("fuse_attr_out", "sizeof"): slowfs.ATTR_OUT.size + slowfs.ATTR.size,
}


def python_offsets() -> dict[tuple[str, str], int]:
    """(C struct, field or "sizeof") -> the offset or size slowfs's Structs give it."""
    expected = dict(EXTRA)
    for layout, c_struct, fields, whole in LAYOUTS:
        items = re.findall(r"(\d*)([a-zA-Z])", layout.format.lstrip("<"))
        assert len(items) == len(fields), c_struct
        offset = 0
        for (count, code), field in zip(items, fields):
            if field is not None:
                expected[(c_struct, field)] = offset
            offset += struct.calcsize(f"<{count}{code}")
        assert offset == layout.size
        if whole:
            expected[(c_struct, "sizeof")] = layout.size
    return expected


def test_structs_match_the_kernel_header(tmp_path):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or not os.path.exists(HEADER):
        pytest.skip(f"needs a C compiler and {HEADER} (Debian: apt-get install linux-libc-dev)")
    expected = python_offsets()
    lines = []
    for c_struct, field in expected:
        if field == "sizeof":
            value = f"sizeof(struct {c_struct})"
        else:
            value = f"offsetof(struct {c_struct}, {field})"
        lines.append(f'printf("{c_struct} {field} %zu\\n", (size_t){value});')
    source = tmp_path / "offsets.c"
    source.write_text(
        "#include <stddef.h>\n#include <stdio.h>\n#include <linux/fuse.h>\n"
        "int main(void) {\n" + "\n".join(lines) + "\nreturn 0;\n}\n"
    )
    subprocess.run([compiler, "-o", str(tmp_path / "offsets"), str(source)], check=True)
    output = subprocess.run(
        [str(tmp_path / "offsets")], capture_output=True, text=True, check=True
    ).stdout
    actual = {}
    for line in output.splitlines():
        c_struct, field, value = line.split()
        actual[(c_struct, field)] = int(value)
    assert actual == expected


def setattr_body(valid: int, size: int = 0, mode: int = 0, mtimensec: int = 0) -> bytes:
    """A fuse_setattr_in as the kernel sends it (the other fields zero)."""
    fields = [0] * 16
    fields[0], fields[3], fields[9], fields[11] = valid, size, mtimensec, mode
    return slowfs.SETATTR_IN.pack(*fields)


def test_setattr_takes_the_mode_and_the_size_from_their_fields(tmp_path):
    backing = tmp_path / "backing"
    backing.mkdir()
    (backing / "f").write_bytes(b"x" * 100)
    fs = slowfs.SlowFS(str(backing), 0.0, None, None)
    node = fs.node(1, b"f")
    # mtimensec sits where the mode was once read from: a wrong offset would chmod to 0o755.
    body = setattr_body(slowfs.FATTR_MODE, mode=stat.S_IFREG | 0o640, mtimensec=0o755)
    reply = fs.handle(slowfs.SETATTR, node, body)
    assert stat.S_IMODE(os.stat(backing / "f").st_mode) == 0o640
    attr = slowfs.ATTR.unpack_from(reply, slowfs.ATTR_OUT.size)
    assert stat.S_IMODE(attr[9]) == 0o640
    fs.handle(slowfs.SETATTR, node, setattr_body(slowfs.FATTR_SIZE, size=10))
    assert os.path.getsize(backing / "f") == 10


def test_chmod_and_truncate_through_the_mount(tmp_path):
    try:
        with scenarios.slow_disk(str(tmp_path), 0.0) as (mountpoint, backing):
            path = os.path.join(mountpoint, "f")
            with open(path, "wb") as f:
                f.write(b"x" * 100)
            os.chmod(path, 0o640)
            os.truncate(path, 10)
            assert stat.S_IMODE(os.stat(os.path.join(backing, "f")).st_mode) == 0o640
            assert os.path.getsize(os.path.join(backing, "f")) == 10
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    except scenarios.MountUnavailable as e:
        pytest.skip(f"needs root and a kernel that lets it mount: {e}")
