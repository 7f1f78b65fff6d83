"""``import-registry``: load a registry CSV into the store."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, time
from pathlib import Path

from eligibility_gw.cli.common import EXIT_FAILED, EXIT_OK, CommandError, err, gateway_from, out
from eligibility_gw.domain.errors import InvalidInput
from eligibility_gw.importer import import_registry
from eligibility_gw.registry_csv import HeaderError
from eligibility_gw.textinput import parse_date

MAX_SHOWN = 50


def _as_of(text: str | None, tz_now: datetime) -> datetime | None:
    """``--as-of``: an ISO instant, or a date (its start in the gateway's time zone)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            day = parse_date(text)
        except InvalidInput:
            raise CommandError(
                f"--as-of {text!r}: expected a date YYYY-MM-DD or an instant"
                " YYYY-MM-DDTHH:MM[:SS][+HH:MM]"
            ) from None
        moment = datetime.combine(day, time(0), tz_now.tzinfo)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz_now.tzinfo)
    return moment.astimezone(UTC)


async def cmd_import(args: argparse.Namespace) -> int:
    """Import; print refused rows (line and reason), corrections kept, and a summary."""
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    async with gateway_from(args) as gateway:
        as_of = _as_of(args.as_of, datetime.now(gateway.settings.tz))
        providers = await gateway.store.providers.list()
        try:
            report = await import_registry(
                path,
                gateway.store.registry,
                gateway.pack,
                gateway.settings.today(),
                progress=False if args.no_progress else None,
                as_of=as_of,
                prefer_registry=args.prefer_registry,
                provider_phones={p.phone: p.provider_id for p in providers if p.phone},
            )
        except HeaderError as exc:
            raise CommandError(f"{path}: {exc}") from exc
    for problem in report.problems[:MAX_SHOWN]:
        err(f"{path}:{problem.line}: {problem.reason}")
    if report.rows_refused > MAX_SHOWN:
        err(f"... and {report.rows_refused - MAX_SHOWN} more refused rows")
    for conflict in report.conflicts[:MAX_SHOWN]:
        err(f"{path}:{conflict.line}: {conflict.reason}")
    if len(report.conflicts) > MAX_SHOWN:
        err(f"... and {len(report.conflicts) - MAX_SHOWN} more disagreements with corrections")
    out(
        f"{report.rows_imported} rows imported, {report.rows_refused} refused "
        f"({report.rows_read} read) under rule pack {gateway.pack.label}"
    )
    if report.conflicts:
        out(f"{len(report.conflicts)} disagreement(s) with corrections made at the console")
    return EXIT_FAILED if report.problems else EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command to the parser."""
    p = sub.add_parser("import-registry", parents=[common], help="import a registry CSV (upsert)")
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--prefer-registry",
        action="store_true",
        help="the file's phone numbers replace corrections made at the console",
    )
    p.add_argument(
        "--as-of",
        metavar="WHEN",
        help="when the registry made the file (default: its modification time): corrections"
        " made later are ones it could not know",
    )
    p.set_defaults(command=cmd_import)
