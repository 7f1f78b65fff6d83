"""Checkpoints of the answer log, and what a log must hold to agree with them.

A checkpoint is a C2SP tlog checkpoint body (https://c2sp.org/tlog-checkpoint): the log's
origin, its size in rows, and its "root hash" in base64: here the hash of the row at that
size, which by the chain covers every row before it. Signed as a note (``notes``) by the
gateway's key, it commits the gateway to those rows: a log later shorter than a checkpoint,
or whose row at that size hashes otherwise, has lost or rewritten answers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from eligibility_gw.audit.notes import NoteError, Signer, Verifier, open_note
from eligibility_gw.ports import AnswerLog, ChainHead, ChainReport
from eligibility_gw.settings import Settings

#: What a checkpoint file is called: ``<size, 12 digits>-<root, 16 hex digits>.checkpoint``.
SUFFIX = ".checkpoint"
_HASH_BYTES = 32


def origin_of(settings: Settings) -> str:
    """The log's origin line: ``[audit] origin``, else ``<public host>/eligibility-gw/answers``."""
    if settings.audit.origin:
        return settings.audit.origin
    host = urlsplit(settings.server.public_base_url).hostname or "localhost"
    return f"{host}/eligibility-gw/answers"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One log state: its origin, its number of rows and the hash of its last one (hex)."""

    origin: str
    size: int
    root: str

    def body(self) -> str:
        """The checkpoint body: three lines, as C2SP tlog-checkpoint writes them."""
        root = base64.b64encode(bytes.fromhex(self.root)).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n"

    def file_name(self) -> str:
        """A name that sorts by size and is the same for the same checkpoint."""
        return f"{self.size:012d}-{self.root[:16]}{SUFFIX}"


def parse_body(text: str) -> Checkpoint:
    """A checkpoint from its body (extension lines after the third are allowed, unread)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint holds an origin, a size and a root hash, one a line")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin:
        raise NoteError("a checkpoint's origin is empty")
    canonical = size_text.isascii() and size_text.isdigit() and str(int(size_text)) == size_text
    if not canonical:
        raise NoteError(f"a checkpoint's size {size_text!r} is not a number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("a checkpoint's root hash is not base64") from None
    if len(root) != _HASH_BYTES:
        raise NoteError("a checkpoint's root hash is not 32 bytes")
    return Checkpoint(origin, int(size_text), root.hex())


def sign_checkpoint(head: ChainHead, origin: str, signer: Signer) -> tuple[Checkpoint, str]:
    """The checkpoint of ``head`` and its signed note."""
    checkpoint = Checkpoint(origin, head.size, head.row_hash)
    return checkpoint, signer.sign(checkpoint.body())


async def take_checkpoint(
    answers: AnswerLog, origin: str, signer: Signer
) -> tuple[Checkpoint, str]:
    """Sign the answer log's head as committed now."""
    return sign_checkpoint(await answers.head(), origin, signer)


@dataclass(frozen=True, slots=True)
class Held:
    """A checkpoint someone kept, with where it came from (a file name)."""

    source: str
    checkpoint: Checkpoint


def open_checkpoint(note: str, verifier: Verifier, origin: str, source: str) -> Held:
    """A kept checkpoint, once its signature and origin check; ``NoteError`` saying why not."""
    checkpoint = parse_body(open_note(note, verifier))
    if checkpoint.origin != origin:
        raise NoteError(f"the checkpoint is of {checkpoint.origin!r}, not of this log ({origin!r})")
    return Held(source, checkpoint)


def checkpoint_files(paths: Sequence[Path], folders: Sequence[Path]) -> list[Path]:
    """The files given, and every ``*.checkpoint`` of the folders given, by name."""
    found = list(paths)
    for folder in folders:
        if not folder.is_dir():
            raise NoteError(f"{folder}: no such directory")
        found.extend(sorted(folder.glob(f"*{SUFFIX}")))
    return found


@dataclass(frozen=True, slots=True)
class Disagreement:
    """What the log lacks against one checkpoint: its first row missing or rewritten."""

    source: str
    size: int
    first_bad_row: int
    problem: str


def compare(report: ChainReport, held: Sequence[Held]) -> list[Disagreement]:
    """How the verified log (``report``, verified at every held size) fails the checkpoints.

    A checkpoint larger than the intact part of the log names the first row after it (missing,
    or where the chain breaks); one the log reaches but whose row hashes otherwise names that
    row (some row up to it changed, or the log was cut and written on since).
    """
    intact = report.rows if report.first_bad_seq is None else report.first_bad_seq - 1
    cut = report.ok or (report.first_bad_seq is not None and report.first_bad_seq > report.rows)
    found = []
    for h in sorted(held, key=lambda h: h.checkpoint.size):
        c = h.checkpoint
        if c.size > intact:
            first = intact + 1
            why = (
                f"{c.size - intact} row(s) from row {first} on are missing"
                if cut
                else f"the chain breaks at row {first} ({report.problem})"
            )
            found.append(
                Disagreement(
                    h.source,
                    c.size,
                    first,
                    f"the checkpoint signed {c.size} rows; the log holds {intact} intact: {why}",
                )
            )
        elif report.hashes.get(c.size) != c.root:
            found.append(
                Disagreement(
                    h.source,
                    c.size,
                    c.size,
                    f"row {c.size} hashes otherwise than the checkpoint signed: rows up to it"
                    " were rewritten, or the log was cut and written on since",
                )
            )
    return found
