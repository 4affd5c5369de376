"""Writing output files so that a failure never leaves a half-written or missing one.

Every writer in the package (``render_graph``, ``explore``/``Explorer.save``, the plots of
the examples and demos) writes to a temporary file in the destination's folder and renames
it over the destination only when the whole file was written (``os.replace`` is atomic on
one file system). A failed write (disk full, file too large, permission, a folder in the
way) leaves the previous file as it was, removes the temporary file, and raises an OSError
whose message names the destination path.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path
from typing import Iterator

__all__ = ["replacing", "write_file"]


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """``with replacing(path) as tmp:`` write ``tmp`` (same folder and suffix); on success
    it replaces ``path``, on any error it is deleted and ``path`` is untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.touch(exist_ok=False)  # created with the usual permissions (umask), unlike mkstemp
        if path.is_file():
            shutil.copymode(path, tmp)  # replacing a file keeps its permissions
        yield tmp
        os.replace(tmp, path)
    except OSError as error:
        _remove(tmp)
        raise _naming(error, path) from error
    except BaseException:
        _remove(tmp)
        raise


def write_file(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (str as UTF-8) to ``path`` all at once or not at all; returns the Path."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with replacing(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return path


def _remove(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()


def _naming(error: OSError, path: Path) -> OSError:
    """The same kind of OSError, with a message that names the destination (not the tmp)."""
    reason = error.strerror or str(error)
    if error.errno is None:
        return OSError(f"cannot write {path}: {reason}")
    return type(error)(error.errno, f"cannot write {path}: {reason}")
