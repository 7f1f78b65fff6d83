"""``UploadFiles`` in a directory named by ``[uploads] directory``, one file per upload.

Files are written whole to a temporary name and renamed (a reader never sees half a file),
readable by the gateway's user only, named by the upload's id (random hex: no person's data
in a file name). Disk work runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from eligibility_gw.ports import StoreUnavailable

_ID = re.compile(r"^[0-9a-f]{8,64}$")


class DirectoryUploadFiles:
    """Upload files kept in a directory."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, upload_id: str) -> Path:
        if not _ID.match(upload_id):
            raise ValueError("not an upload id")
        return self.folder / f"{upload_id}.upload"

    def _write(self, upload_id: str, content: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = self._path(upload_id)
        partial = final.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        partial.replace(final)

    async def put_file(self, upload_id: str, content: bytes) -> None:
        """Keep a file."""
        try:
            await asyncio.to_thread(self._write, upload_id, content)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot write to the uploads directory: {exc.strerror}"
            ) from exc

    async def get_file(self, upload_id: str) -> bytes | None:
        """A kept file; None when there is none."""
        path = self._path(upload_id)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreUnavailable(f"cannot read the uploads directory: {exc.strerror}") from exc

    async def delete_file(self, upload_id: str) -> None:
        """Delete a file (nothing when there is none)."""
        try:
            await asyncio.to_thread(self._path(upload_id).unlink, True)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot delete in the uploads directory: {exc.strerror}"
            ) from exc
