"""A slow disk for tests: a FUSE file system that mirrors a backing directory and answers each
write only after a delay, so that the writer thread really waits on ``write(2)``.

It speaks the kernel's FUSE protocol on ``/dev/fuse`` directly (no libfuse, no Python package)
and mounts with ``mount(2)``, so it needs root. Run it as a process of its own::

    python slowfs.py BACKING MOUNTPOINT DELAY_SECONDS [STUCK_FLAG [FAILING_SYNC_FLAG]]

While the file STUCK_FLAG exists, writes are not answered at all: the disk is stuck. While
FAILING_SYNC_FLAG exists, fsync fails with EIO, as on a disk that lost written data. It prints
``ready`` once mounted and serves until killed (SIGTERM unmounts). Requests are answered one at
a time: while a write sleeps, everything else on the mount waits too, as on a
saturated disk; read the backing directory to look at the files meanwhile.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import stat
import struct
import sys
import time

# Opcodes (linux/fuse.h).
LOOKUP, FORGET, GETATTR, SETATTR = 1, 2, 3, 4
MKDIR, UNLINK, RMDIR = 9, 10, 11
OPEN, READ, WRITE, STATFS, RELEASE, FSYNC = 14, 15, 16, 17, 18, 20
FLUSH, INIT, OPENDIR, READDIR, RELEASEDIR, FSYNCDIR = 25, 26, 27, 28, 29, 30
ACCESS, CREATE, INTERRUPT, DESTROY, BATCH_FORGET = 34, 35, 36, 38, 42
NO_REPLY = {FORGET, BATCH_FORGET, INTERRUPT}

# The kernel's structs (linux/fuse.h), little-endian; tests/test_slowfs.py checks each field's
# offset and each size against the installed header. Where only a prefix is read, the Struct is
# that prefix.
IN_HEADER = struct.Struct("<IIQQIIIHH")  # fuse_in_header
OUT_HEADER = struct.Struct("<IiQ")  # fuse_out_header
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")  # fuse_attr
ENTRY_OUT = struct.Struct("<QQQQII")  # fuse_entry_out, up to its fuse_attr
ATTR_OUT = struct.Struct("<QII")  # fuse_attr_out, up to its fuse_attr
INIT_IN = struct.Struct("<II")  # fuse_init_in: major, minor
INIT_OUT = struct.Struct("<IIIIHHIIHHI7I")  # fuse_init_out
SETATTR_IN = struct.Struct("<IIQQQQQQIIIIIIII")  # fuse_setattr_in
MKDIR_IN = struct.Struct("<II")  # fuse_mkdir_in, then the name
CREATE_IN = struct.Struct("<IIII")  # fuse_create_in, then the name
OPEN_IN = struct.Struct("<II")  # fuse_open_in
OPEN_OUT = struct.Struct("<QII")  # fuse_open_out
READ_IN = struct.Struct("<QQI")  # fuse_read_in: fh, offset, size
WRITE_IN = struct.Struct("<QQI")  # fuse_write_in: fh, offset, size
WRITE_IN_SIZE = 40  # sizeof(struct fuse_write_in): the data follows it
WRITE_OUT = struct.Struct("<II")  # fuse_write_out
FH_IN = struct.Struct("<Q")  # fuse_release_in and fuse_fsync_in: fh
DIRENT = struct.Struct("<QQII")  # fuse_dirent, then the name, padded to 8 bytes
KSTATFS = struct.Struct("<QQQQQIIII6I")  # fuse_kstatfs, the body of fuse_statfs_out
FATTR_MODE, FATTR_SIZE = 1 << 0, 1 << 3
BIG_WRITES = 1 << 5  # writes of up to MAX_WRITE bytes, not one page each
MAX_WRITE = 1 << 17
OPEN_FLAGS = os.O_ACCMODE | os.O_CREAT | os.O_EXCL | os.O_TRUNC | os.O_APPEND


class SlowFS:
    def __init__(
        self, backing: str, delay: float, stuck_flag: str | None, failing_sync_flag: str | None
    ) -> None:
        self.backing = backing
        self.delay = delay
        self.stuck_flag = stuck_flag
        self.failing_sync_flag = failing_sync_flag
        self.paths = {1: ""}  # node id -> path relative to the backing directory
        self.ids = {"": 1}

    def real(self, node: int, name: bytes = b"") -> str:
        rel = self.paths[node]
        if name:
            rel = os.path.join(rel, os.fsdecode(name))
        return os.path.join(self.backing, rel)

    def node(self, parent: int, name: bytes) -> int:
        rel = os.path.join(self.paths[parent], os.fsdecode(name))
        if rel not in self.ids:
            self.ids[rel] = len(self.paths) + 1
            self.paths[self.ids[rel]] = rel
        return self.ids[rel]

    @staticmethod
    def attr(st: os.stat_result) -> bytes:
        return ATTR.pack(
            st.st_ino, st.st_size, st.st_blocks,
            int(st.st_atime), int(st.st_mtime), int(st.st_ctime),
            st.st_atime_ns % 10**9, st.st_mtime_ns % 10**9, st.st_ctime_ns % 10**9,
            st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_rdev, 4096, 0,
        )  # fmt: skip

    def entry(self, parent: int, name: bytes) -> bytes:
        st = os.lstat(self.real(parent, name))
        # Nothing is cached by the kernel: every look-up and size comes from the backing file.
        return ENTRY_OUT.pack(self.node(parent, name), 0, 0, 0, 0, 0) + self.attr(st)

    def attr_out(self, node: int) -> bytes:
        return ATTR_OUT.pack(0, 0, 0) + self.attr(os.lstat(self.real(node)))

    def handle(self, opcode: int, node: int, body: bytes) -> bytes:
        if opcode == INIT:
            major, minor = INIT_IN.unpack_from(body)
            if major != 7:
                raise OSError(errno.EPROTO, "unsupported FUSE protocol")
            return INIT_OUT.pack(
                7, min(minor, 31), 0, BIG_WRITES, 16, 12, MAX_WRITE, 1, 0, 0, 0,
                *[0] * 7,
            )  # fmt: skip
        if opcode == LOOKUP:
            return self.entry(node, body.rstrip(b"\0"))
        if opcode == GETATTR:
            return self.attr_out(node)
        if opcode == SETATTR:
            fields = SETATTR_IN.unpack_from(body)
            valid, size, mode = fields[0], fields[3], fields[11]
            if valid & FATTR_SIZE:
                os.truncate(self.real(node), size)
            if valid & FATTR_MODE:
                os.chmod(self.real(node), stat.S_IMODE(mode))
            return self.attr_out(node)
        if opcode == MKDIR:
            mode, umask = MKDIR_IN.unpack_from(body)
            name = body[MKDIR_IN.size :].rstrip(b"\0")
            os.mkdir(self.real(node, name), mode & ~umask)
            return self.entry(node, name)
        if opcode in (UNLINK, RMDIR):
            (os.unlink if opcode == UNLINK else os.rmdir)(self.real(node, body.rstrip(b"\0")))
            return b""
        if opcode == CREATE:
            flags, mode, umask, _ = CREATE_IN.unpack_from(body)
            name = body[CREATE_IN.size :].rstrip(b"\0")
            fd = os.open(self.real(node, name), flags & OPEN_FLAGS, mode & ~umask)
            return self.entry(node, name) + OPEN_OUT.pack(fd, 0, 0)
        if opcode == OPEN:
            flags, _ = OPEN_IN.unpack_from(body)
            fd = os.open(self.real(node), flags & OPEN_FLAGS & ~(os.O_CREAT | os.O_EXCL))
            return OPEN_OUT.pack(fd, 0, 0)
        if opcode == READ:
            fh, offset, size = READ_IN.unpack_from(body)
            return os.pread(fh, size, offset)
        if opcode == WRITE:
            fh, offset, size = WRITE_IN.unpack_from(body)
            time.sleep(self.delay)
            while self.stuck_flag and os.path.exists(self.stuck_flag):
                time.sleep(0.05)
            written = os.pwrite(fh, body[WRITE_IN_SIZE : WRITE_IN_SIZE + size], offset)
            return WRITE_OUT.pack(written, 0)
        if opcode == RELEASE:
            os.close(FH_IN.unpack_from(body)[0])
            return b""
        if opcode == FSYNC:
            if self.failing_sync_flag and os.path.exists(self.failing_sync_flag):
                raise OSError(errno.EIO, "the disk lost written data")
            os.fsync(FH_IN.unpack_from(body)[0])
            return b""
        if opcode in (FLUSH, ACCESS, OPENDIR, RELEASEDIR, FSYNCDIR):
            return b"" if opcode != OPENDIR else OPEN_OUT.pack(0, 0, 0)
        if opcode == READDIR:
            _, offset, size = READ_IN.unpack_from(body)
            out = b""
            names = [".", "..", *sorted(os.listdir(self.real(node)))]
            for i, name in enumerate(names[offset:], offset + 1):
                raw = os.fsencode(name)
                dirent = DIRENT.pack(1, i, len(raw), 0) + raw
                dirent += b"\0" * (-len(dirent) % 8)
                if len(out) + len(dirent) > size:
                    break
                out += dirent
            return out
        if opcode == STATFS:
            s = os.statvfs(self.backing)
            return KSTATFS.pack(
                s.f_blocks, s.f_bfree, s.f_bavail, s.f_files, s.f_ffree,
                s.f_bsize, s.f_namemax, s.f_frsize, 0, *[0] * 6,
            )  # fmt: skip
        raise OSError(errno.ENOSYS, "not implemented")

    def serve(self, fd: int) -> None:
        while True:
            try:
                request = os.read(fd, MAX_WRITE + 4096)
            except OSError as e:
                if e.errno in (errno.EINTR, errno.EAGAIN, errno.ENOENT):
                    continue
                return  # ENODEV: unmounted
            _, opcode, unique, node, *_ = IN_HEADER.unpack_from(request)
            if opcode in NO_REPLY:
                continue
            try:
                body, error = self.handle(opcode, node, request[IN_HEADER.size :]), 0
            except OSError as e:
                body, error = b"", -(e.errno or errno.EIO)
            try:
                os.write(fd, OUT_HEADER.pack(OUT_HEADER.size + len(body), error, unique) + body)
            except OSError:
                pass  # the request was interrupted meanwhile
            if opcode == DESTROY:
                return


def mount(mountpoint: str) -> int:
    """Opens /dev/fuse and mounts it at ``mountpoint``; returns the fd to serve."""
    fd = os.open("/dev/fuse", os.O_RDWR)
    libc = ctypes.CDLL(None, use_errno=True)
    options = f"fd={fd},rootmode=40000,user_id=0,group_id=0,allow_other"
    if libc.mount(b"slowfs", os.fsencode(mountpoint), b"fuse", 0, options.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {mountpoint}: {os.strerror(err)}")
    return fd


def unmount(mountpoint: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.umount2(os.fsencode(mountpoint), 2)  # MNT_DETACH


def main() -> None:
    backing, mountpoint, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    stuck_flag = sys.argv[4] if len(sys.argv) > 4 else None
    failing_sync_flag = sys.argv[5] if len(sys.argv) > 5 else None
    fd = mount(mountpoint)

    def stop(*_: object) -> None:
        unmount(mountpoint)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    SlowFS(backing, delay, stuck_flag, failing_sync_flag).serve(fd)
    unmount(mountpoint)


if __name__ == "__main__":
    main()
