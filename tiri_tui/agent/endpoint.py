"""Where a profile's agent listens, who may talk to it, and one agent per profile.

The socket lives in a directory only its owner can enter (``0700``): the
runtime directory's ``tiri-tui`` (``$XDG_RUNTIME_DIR``, which the login
session makes private and empties at logout), or, where there is none, a
directory of the temporary one that is checked to be ours and private before
it is used — anyone may create a path in ``/tmp`` first. The socket itself is
``0600``, and on Linux the agent also asks the kernel who connected
(``SO_PEERCRED``) and answers only its own user.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import socket
import stat
import struct
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from tiri_tui.wire.errors import TiriError

if TYPE_CHECKING:
    from tiri_tui.settings.config import Settings

#: ``sun_path`` holds 108 bytes on Linux (104 on macOS and the BSDs), its NUL included.
SOCKET_PATH_LIMIT = 107 if sys.platform.startswith("linux") else 103
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class EndpointError(TiriError):
    """The agent's directory or socket cannot be used safely."""


class AgentRunning(TiriError):
    """Another agent holds the profile's lock."""

    def __init__(self, profile: str, pid: int | None) -> None:
        holder = f" (pid {pid})" if pid else ""
        super().__init__(
            f"an agent for profile {profile!r} is already running{holder}: "
            "`tiri-tui agent status` shows it, `tiri-tui agent stop` stops it"
        )
        self.pid = pid


def profile_name(settings: Settings) -> str:
    """The profile the agent serves, as people name it (``default`` when none is chosen)."""
    return settings.profile or "default"


def runtime_dir(settings: Settings) -> Path:
    """The directory of the profile's socket and lock (made private by :func:`private_dir`)."""
    if settings.home is not None:  # TIRI_HOME: tests and the demo keep apart from real runs
        base = settings.home / "run"
    elif os.environ.get("XDG_RUNTIME_DIR"):
        base = Path(os.environ["XDG_RUNTIME_DIR"]) / "tiri-tui"
    else:
        import platformdirs

        try:
            with warnings.catch_warnings():  # it warns of its /tmp fallback: checked below
                warnings.simplefilter("ignore")
                base = Path(platformdirs.user_runtime_dir("tiri-tui", appauthor=False))
        except OSError as exc:  # its /tmp fallback is somebody else's
            raise EndpointError(
                f"no private runtime directory for the agent ({exc.strerror or exc}): "
                "set XDG_RUNTIME_DIR to a directory of yours"
            ) from None
    return base if settings.namespace == "default" else base / settings.namespace


def _file_stem(profile: str) -> str:
    if _PLAIN_NAME.fullmatch(profile):
        return profile
    # A profile is a TOML key: anything may be in it, a path's slash included.
    return "profile-" + hashlib.sha256(profile.encode()).hexdigest()[:16]


def socket_path(settings: Settings) -> Path:
    """The profile's socket: ``<runtime dir>/<profile>.sock``."""
    return runtime_dir(settings) / f"{_file_stem(profile_name(settings))}.sock"


def agent_socket(settings: Settings) -> Path | None:
    """The profile's socket for a face to look for (None: no agent can run here,
    or no private directory for one: the face runs alone)."""
    try:
        return socket_path(settings)
    except EndpointError:
        return None


def lock_path(settings: Settings) -> Path:
    """The profile's lock file, beside its socket."""
    return runtime_dir(settings) / f"{_file_stem(profile_name(settings))}.lock"


def private_dir(path: Path) -> Path:
    """``path``, made if missing, checked to be a directory of ours that only we
    can enter; EndpointError saying what is wrong otherwise (blocking: call it
    before the loop starts, or on a thread)."""
    try:
        with contextlib.suppress(FileExistsError):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.mkdir(mode=0o700)
        info = os.lstat(path)
    except OSError as exc:
        raise EndpointError(f"cannot use {path} for the agent: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise EndpointError(f"{path} is not a directory: the agent will not use it")
    if info.st_uid != os.getuid():
        raise EndpointError(
            f"{path} belongs to uid {info.st_uid}, not to you: the agent will not use it "
            "(set XDG_RUNTIME_DIR to a private directory)"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


def is_private(path: Path) -> bool:
    """Whether ``path`` is a directory of ours that only we can enter (what a
    face checks before it trusts a socket in it; never blocks on a network)."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not stat.S_IMODE(info.st_mode) & 0o077
    )


def check_length(path: Path) -> None:
    """A path too long for a Unix socket is an error that says so (not ``AF_UNIX path too long``)."""
    if len(os.fsencode(path)) > SOCKET_PATH_LIMIT:
        raise EndpointError(
            f"the agent's socket path is too long for the system ({path}): "
            "set XDG_RUNTIME_DIR to a shorter directory"
        )


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a Unix socket, as the kernel
    says (None where Python cannot ask: then the directory's and the socket's
    permissions alone keep others out)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    # struct ucred: a signed pid, then the unsigned uid and gid.
    credentials = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("iII"))
    _pid, uid, _gid = struct.unpack("iII", credentials)
    return int(uid)


class ProfileLock:
    """One agent per profile: an advisory ``flock`` on a file that holds the
    holder's pid (the kernel drops it when the holder exits or crashes)."""

    def __init__(self, path: Path, profile: str) -> None:
        self.path = path
        self.profile = profile
        self._fd: int | None = None

    def acquire(self) -> None:
        """Hold the lock, or raise AgentRunning naming its holder (blocking I/O:
        before the loop starts)."""
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise EndpointError(f"cannot open {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _pid_in(fd)
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise AgentRunning(self.profile, holder) from None
            raise EndpointError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock (closing the file drops it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _pid_in(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode().strip() or "0") or None
    return None
