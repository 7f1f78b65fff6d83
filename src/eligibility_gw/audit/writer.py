"""``serve``'s checkpoints: one every ``[audit] checkpoint_seconds`` while the log grows, one
more when the server stops, each written to ``[audit] checkpoint_dir`` and POSTed to
``[audit] witness_url`` when set.

A witness is anything the gateway's operators cannot rewrite: the insurer's own archive
server, an append-only bucket, a transparency witness. A failed POST is tried again with the
next checkpoint (the witness then gets the newest, which commits to everything before it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import structlog

from eligibility_gw.audit.checkpoints import Checkpoint, origin_of, take_checkpoint
from eligibility_gw.audit.notes import NoteError, Signer, read_signer
from eligibility_gw.ports import AnswerLog, StoreUnavailable
from eligibility_gw.settings import Settings, SettingsError

log = structlog.get_logger(__name__)


def signer_from(settings: Settings) -> Signer:
    """The signing key named by ``[audit] signing_key_env``; ``SettingsError`` saying why not."""
    env = settings.audit.signing_key_env
    text = settings.secret(env)
    if text is None:
        raise SettingsError(
            f"${env} holds no signing key for the answer log's checkpoints"
            " (eligibility-gw audit keygen prints one)"
        )
    try:
        return read_signer(text)
    except NoteError as exc:
        raise SettingsError(f"${env}: {exc}") from None


def write_note(folder: Path, checkpoint: Checkpoint, note: str) -> Path:
    """Write ``note`` under the checkpoint's name in ``folder``, whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / checkpoint.file_name()
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_text(note, "utf-8")
    partial.replace(target)  # a reader never sees half a checkpoint
    return target


class CheckpointWriter:
    """Signs the log's head when it moved, keeps it, and hands it to the witness."""

    def __init__(
        self,
        settings: Settings,
        answers: AnswerLog,
        signer: Signer,
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        audit = settings.audit
        self._answers = answers
        self._signer = signer
        self._origin = origin_of(settings)
        self._folder = Path(audit.checkpoint_dir)
        self._interval = audit.checkpoint_seconds
        self._witness = audit.witness_url
        self._timeout = aiohttp.ClientTimeout(total=audit.witness_timeout)
        self._http = http
        self._written: Checkpoint | None = None
        #: The newest note the witness has not acknowledged yet.
        self._unsent: str | None = None

    async def write_once(self) -> Path | None:
        """Sign the head if it moved since the last checkpoint; where it was written."""
        try:
            checkpoint, note = await take_checkpoint(self._answers, self._origin, self._signer)
        except StoreUnavailable as exc:
            log.warning("audit_checkpoint_skipped", problem=exc.problem)
            return None
        path = None
        if checkpoint != self._written:
            try:
                path = await asyncio.to_thread(write_note, self._folder, checkpoint, note)
            except OSError as exc:
                log.error("audit_checkpoint_not_written", problem=str(exc))
                return None
            self._written = checkpoint
            self._unsent = note
            log.info("audit_checkpoint", size=checkpoint.size, file=path.name)
        await self._post()
        return path

    async def _post(self) -> None:
        if not self._witness or self._unsent is None or self._http is None:
            return
        try:
            async with self._http.post(
                self._witness,
                data=self._unsent.encode("utf-8"),
                headers={"Content-Type": "text/plain; charset=utf-8"},
                timeout=self._timeout,
            ) as response:
                if response.status >= 300:
                    log.warning("audit_witness_refused", status=response.status)
                    return
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("audit_witness_unreachable", problem=type(exc).__name__)
            return
        self._unsent = None

    async def run(self) -> None:
        """Every ``checkpoint_seconds``, a checkpoint if the log grew (until cancelled)."""
        while True:
            await asyncio.sleep(self._interval)
            await self.write_once()


@contextlib.asynccontextmanager
async def checkpoints_while_serving(
    settings: Settings, answers: AnswerLog
) -> AsyncIterator[CheckpointWriter]:
    """Run the writer while the block runs; sign a last checkpoint when it ends (the answers
    given by then are all committed: each is logged before it goes out)."""
    signer = signer_from(settings)
    async with aiohttp.ClientSession() as http:
        writer = CheckpointWriter(settings, answers, signer, http)
        task = asyncio.create_task(writer.run(), name="audit-checkpoints")
        try:
            yield writer
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await writer.write_once()
