"""``audit``: check the answer log's hash chain, and sign and check checkpoints of it.

- ``audit keygen [--name NAME]`` prints a new Ed25519 key pair (the signing key for
  ``$ELIGIBILITY_GW_AUDIT_KEY``, the public key for whoever verifies);
- ``audit checkpoint [--out FILE]`` signs the log as it stands (a C2SP signed note);
- ``audit verify [--checkpoint FILE]… [--checkpoints DIR]… [--public-key KEY]`` recomputes
  the chain and, given checkpoints, fails when the log is shorter than one of them or its row
  at that size hashes otherwise: a tail cut, invisible to the chain alone, is found.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eligibility_gw.audit.checkpoints import (
    Held,
    checkpoint_files,
    compare,
    open_checkpoint,
    origin_of,
    take_checkpoint,
)
from eligibility_gw.audit.notes import NoteError, new_signer, read_verifier
from eligibility_gw.audit.writer import signer_from, write_note
from eligibility_gw.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    err,
    gateway_from,
    out,
    settings_from,
)

#: A checkpoint file is a few hundred bytes; anything much larger is not one.
MAX_NOTE_BYTES = 64 * 1024


async def cmd_keygen(args: argparse.Namespace) -> int:
    """Print a new key pair; nothing is stored."""
    settings = settings_from(args)
    try:
        signer = new_signer(args.name or origin_of(settings))
    except NoteError as exc:
        raise CommandError(f"--name: {exc}") from None
    env = settings.audit.signing_key_env
    out(f"# signing key: a secret for the gateway's environment only (${env})")
    out(signer.encoded())
    out("# public key: for [audit] public_key and whoever verifies checkpoints")
    out(signer.verifier.encoded())
    return EXIT_OK


async def cmd_checkpoint(args: argparse.Namespace) -> int:
    """Sign the answer log's head; print the note, or write it to ``--out``."""
    settings = settings_from(args)
    signer = signer_from(settings)
    async with gateway_from(args, "the answer log") as gateway:
        checkpoint, note = await take_checkpoint(gateway.store.answers, origin_of(settings), signer)
    if args.out is None:
        sys.stdout.write(note)
        return EXIT_OK
    target = Path(args.out)
    if target.is_dir() or args.out.endswith(("/", "\\")):
        written = write_note(target, checkpoint, note)
    else:
        target.write_text(note, "utf-8")
        written = target
    err(f"checkpoint of {checkpoint.size} rows written to {written}")
    return EXIT_OK


def _held(args: argparse.Namespace) -> list[Held]:
    """The checkpoints named on the command line, each signed by the public key."""
    files = checkpoint_files(
        [Path(p) for p in args.checkpoint or ()], [Path(p) for p in args.checkpoints or ()]
    )
    if not files:
        if args.checkpoints:
            raise CommandError(f"no *.checkpoint file in {', '.join(args.checkpoints)}")
        return []
    settings = settings_from(args)
    key_text = args.public_key or settings.audit.public_key
    if not key_text:
        raise CommandError(
            "checking checkpoints needs the public key: --public-key or [audit] public_key"
        )
    try:
        verifier = read_verifier(key_text)
    except NoteError as exc:
        raise CommandError(f"public key: {exc}") from None
    origin = origin_of(settings)
    held = []
    for path in files:
        try:
            if path.stat().st_size > MAX_NOTE_BYTES:
                raise NoteError("too large to be a checkpoint")
            note = path.read_text("utf-8")
            held.append(open_checkpoint(note, verifier, origin, str(path)))
        except (NoteError, UnicodeDecodeError) as exc:
            raise CommandError(f"checkpoint {path}: {exc}") from None
    return held


async def cmd_verify(args: argparse.Namespace) -> int:
    """Recompute the chain; name the first bad row, or the first row a checkpoint misses."""
    try:
        held = _held(args)
    except NoteError as exc:
        raise CommandError(str(exc)) from None
    async with gateway_from(args, "the answer log") as gateway:
        report = await gateway.store.answers.verify(at=[h.checkpoint.size for h in held])
    disagreements = compare(report, held)
    if report.ok and not disagreements:
        also = f"; agrees with {len(held)} checkpoint(s)" if held else ""
        out(f"answer log verified: {report.rows} rows, chain intact{also}")
        return EXIT_OK
    if not report.ok:
        err(f"answer log BROKEN at row {report.first_bad_seq}: {report.problem}")
    for d in disagreements:
        err(
            f"answer log BROKEN at row {d.first_bad_row} against checkpoint {d.source}: {d.problem}"
        )
    return EXIT_FAILED


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command group to the parser."""
    p = sub.add_parser("audit", help="check the answer log; sign and check checkpoints")
    asub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    v = asub.add_parser(
        "verify", parents=[common], help="verify the hash chain (and signed checkpoints)"
    )
    v.add_argument(
        "--checkpoint", action="append", metavar="FILE", help="a signed checkpoint (repeatable)"
    )
    v.add_argument(
        "--checkpoints",
        action="append",
        metavar="DIR",
        help="every *.checkpoint file of a directory (repeatable)",
    )
    v.add_argument("--public-key", metavar="KEY", help="default: [audit] public_key")
    v.set_defaults(command=cmd_verify)
    c = asub.add_parser(
        "checkpoint", parents=[common], help="sign a checkpoint of the log as it stands"
    )
    c.add_argument(
        "--out",
        metavar="FILE|DIR/",
        help="write it to FILE, or into DIR/ under its own name (default: standard output)",
    )
    c.set_defaults(command=cmd_checkpoint)
    k = asub.add_parser("keygen", parents=[common], help="print a new signing key pair")
    k.add_argument("--name", help="the key's name (default: the log's origin)")
    k.set_defaults(command=cmd_keygen)
