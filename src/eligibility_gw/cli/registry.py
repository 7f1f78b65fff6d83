"""``import-registry``: load a registry CSV into the store."""

from __future__ import annotations

import argparse
from pathlib import Path

from eligibility_gw.cli.common import EXIT_FAILED, EXIT_OK, CommandError, err, gateway_from, out
from eligibility_gw.importer import import_registry
from eligibility_gw.registry_csv import HeaderError

MAX_SHOWN = 50


async def cmd_import(args: argparse.Namespace) -> int:
    """Import; print refused rows (line and reason) and a summary."""
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    async with gateway_from(args) as gateway:
        try:
            report = await import_registry(
                path,
                gateway.store.registry,
                gateway.pack,
                gateway.settings.today(),
                progress=False if args.no_progress else None,
            )
        except HeaderError as exc:
            raise CommandError(f"{path}: {exc}") from exc
    for problem in report.problems[:MAX_SHOWN]:
        err(f"{path}:{problem.line}: {problem.reason}")
    if report.rows_refused > MAX_SHOWN:
        err(f"... and {report.rows_refused - MAX_SHOWN} more refused rows")
    out(
        f"{report.rows_imported} rows imported, {report.rows_refused} refused "
        f"({report.rows_read} read) under rule pack {gateway.pack.label}"
    )
    return EXIT_FAILED if report.problems else EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command to the parser."""
    p = sub.add_parser("import-registry", parents=[common], help="import a registry CSV (upsert)")
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(command=cmd_import)
