"""``audit verify``: check the answer log's hash chain."""

from __future__ import annotations

import argparse

from eligibility_gw.cli.common import EXIT_FAILED, EXIT_OK, err, gateway_from, out


async def cmd_verify(args: argparse.Namespace) -> int:
    """Recompute the chain; name the first bad row."""
    async with gateway_from(args) as gateway:
        report = await gateway.store.answers.verify()
    if report.ok:
        out(f"answer log verified: {report.rows} rows, chain intact")
        return EXIT_OK
    err(f"answer log BROKEN at row {report.first_bad_seq}: {report.problem}")
    return EXIT_FAILED


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command group to the parser."""
    p = sub.add_parser("audit", help="check the answer log")
    asub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    v = asub.add_parser("verify", parents=[common], help="verify the hash chain")
    v.set_defaults(command=cmd_verify)
