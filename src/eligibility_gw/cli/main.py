"""``eligibility-gw``: the command line, one module per command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from eligibility_gw import __version__
from eligibility_gw.channels.console import cli as console_cli
from eligibility_gw.channels.telegram import cli as telegram_cli
from eligibility_gw.channels.ussd import cli as ussd_cli
from eligibility_gw.cli import audit, check, demo, providers, registry, serve
from eligibility_gw.cli import reminders as reminders_cli
from eligibility_gw.cli.common import add_common, run

COMMANDS = (
    registry,
    check,
    providers,
    audit,
    serve,
    demo,
    ussd_cli,
    telegram_cli,
    console_cli,
    reminders_cli,
)


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    parser = argparse.ArgumentParser(
        prog="eligibility-gw",
        description="Treatment-eligibility inquiry gateway: one core, every channel.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    add_common(common)
    sub = parser.add_subparsers(dest="name", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and run; return the exit code."""
    args = build_parser().parse_args(argv)
    runner = getattr(args, "runner", None)
    if runner is not None:
        return int(runner(args))
    return run(args.command, args)


if __name__ == "__main__":
    sys.exit(main())
