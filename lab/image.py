"""The lab's runtime image, built offline: no registry is reachable, so nothing is pulled.

A `FROM scratch` image holding only what the host cannot lend: `/etc` files for the users the
services run as, the merged-/usr symlinks, a static busybox for debugging, and a real empty `/sbin`
(Docker's `init=True` mounts its init at `/sbin/docker-init`, which fails through a symlink into a
read-only `/usr`). Each container then bind-mounts the host's `/usr`, the Python install and the
project virtualenv read-only.
"""
from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
from pathlib import Path

import docker

IMAGE_REPO = "pms-lab-runtime"

PASSWD = """root:x:0:0:root:/root:/bin/sh
postgres:x:999:999:PostgreSQL:/tmp:/bin/sh
app:x:1000:1000:PMS app:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
"""
GROUP = """root:x:0:
postgres:x:999:
app:x:1000:
nogroup:x:65534:
"""
NSSWITCH = "passwd: files\ngroup: files\nhosts: files dns\n"
DOCKERFILE = "FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LANG=C.UTF-8\n"


def _busybox() -> Path | None:
    for candidate in ("/usr/bin/busybox", "/bin/busybox"):
        if Path(candidate).exists():
            return Path(candidate)
    return None


def _context() -> bytes:
    """The build context as a tar stream, built in memory so nothing is written to the repo."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:

        def add_file(name: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))

        def add_dir(name: str, mode: int = 0o755, uid: int = 0) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, mode, uid, uid
            tar.addfile(info)

        def add_link(name: str, target: str) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)

        add_file("Dockerfile", DOCKERFILE.encode())
        add_dir("rootfs")
        for d in ("etc", "usr", "sbin", "opt", "root", "run", "var", "var/lib", "app"):
            add_dir(f"rootfs/{d}")
        add_dir("rootfs/tmp", 0o1777)
        add_dir("rootfs/var/lib/postgresql", 0o755, uid=999)
        add_dir("rootfs/run/postgresql", 0o2775, uid=999)
        for link, target in (("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")):
            add_link(f"rootfs/{link}", target)
        add_file("rootfs/etc/passwd", PASSWD.encode())
        add_file("rootfs/etc/group", GROUP.encode())
        add_file("rootfs/etc/nsswitch.conf", NSSWITCH.encode())
        busybox = _busybox()
        if busybox:
            add_file("rootfs/opt/busybox", busybox.read_bytes(), 0o755)
    return buf.getvalue()


def image_tag() -> str:
    digest = hashlib.sha256(_context()).hexdigest()[:12]
    return f"{IMAGE_REPO}:{digest}"


def ensure_image(client: docker.DockerClient) -> str:
    """Build the runtime image unless this exact one exists; return its tag."""
    tag = image_tag()
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    client.images.build(fileobj=io.BytesIO(_context()), custom_context=True, tag=tag, rm=True, pull=False)
    return tag


def host_python_prefix() -> Path:
    """The real Python install the virtualenv points at, to be mounted at the same path."""
    import sys

    return Path(sys.base_prefix).resolve()


def postgres_bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found: run scripts/bootstrap (Debian package postgresql)")
    return found[-1].parent


def redis_server() -> Path:
    path = shutil.which("redis-server")
    if not path:
        raise RuntimeError("redis-server not found: run scripts/bootstrap (Debian package redis-server)")
    return Path(path)  # not resolved: redis-server is a symlink whose name selects its mode
