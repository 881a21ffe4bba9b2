"""Folders (0700) and files (0600) only the server's own user can read: the databases, the job
queue, generated keys and every stored upload or recording hold sellers' data and secrets."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def private_dir(path: Path) -> Path:
    """`mkdir -p` where every folder it creates is 0700. Folders that already exist keep their mode:
    a parent such as /srv or /tmp is not ours to change."""
    target = Path(path)
    missing: list[Path] = []
    folder = target
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # made by another process a moment ago
            continue
        os.chmod(folder, 0o700)  # whatever the umask
    return target


def private_file(path: Path) -> Path:
    """Create `path` empty and 0600 unless it exists (its folders with `private_dir`). An existing
    file of ours that others can read (made before this rule) loses those permissions."""
    path = Path(path)
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        make_private(path)
    return path


def make_private(path: Path) -> None:
    """Drop group and other permissions from a file this user owns (others' files stay as they are)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
