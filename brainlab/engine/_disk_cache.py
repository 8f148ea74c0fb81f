"""Where brainlab keeps compiled code between processes, and what identifies the machine it was compiled for.

One root directory holds every on-disk cache: ``$BRAINLAB_CACHE_DIR`` when set (an empty string, ``0``, ``off``,
``false``, ``none`` or ``no`` disables caching), else ``$XDG_CACHE_HOME/brainlab`` (``~/.cache/brainlab``).  Each
cache keeps its own subdirectory (``xla`` for the Runner's compiled chunks, ``kernels`` for the event kernels'
machine code, ``fused`` for the fused elementwise kernels' machine code) and names its entries with
:func:`entry_key`, which includes :func:`host_fingerprint`, so code is only loaded where it was compiled for.
"""

from __future__ import annotations

import hashlib
import os
import platform
import tempfile
from functools import lru_cache
from pathlib import Path

_OFF = ("", "0", "off", "false", "none", "no")


def cache_root() -> Path | None:
    """The root of brainlab's on-disk caches, or ``None`` when ``BRAINLAB_CACHE_DIR`` disables them."""
    setting = os.environ.get("BRAINLAB_CACHE_DIR")
    if setting is not None:
        if setting.strip().lower() in _OFF:
            return None
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "brainlab"


@lru_cache(maxsize=1)
def host_fingerprint() -> str:
    """The CPU model and instruction-set flags (compiled code is only valid on a CPU that has them)."""
    parts = [platform.machine(), platform.processor()]
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key = line.split(":", 1)[0].strip()
                if key in ("model name", "flags", "Features", "CPU implementer", "CPU part"):
                    parts.append(line.strip())
                if key == "processor" and len(parts) > 2:
                    break  # the first processor's lines are enough
    except OSError:
        parts.append(platform.platform())
    return "|".join(parts)


def entry_key(*parts: object) -> str:
    """The SHA-256 (hex) naming a cache entry: of ``parts`` (what the compiled code depends on: a format, versions,
    the program) and of :func:`host_fingerprint`, each followed by a NUL byte."""
    h = hashlib.sha256()
    for part in (*parts, host_fingerprint()):
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` so that a reader sees the old file or the whole new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
