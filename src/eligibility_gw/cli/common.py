"""What every command shares: settings from --config/--db, errors in words, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.domain.errors import EligibilityError, RulePackError
from eligibility_gw.gateway import Gateway
from eligibility_gw.logs import configure_logging
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.settings import Settings, SettingsError, load_settings
from eligibility_gw.wording import Wording

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

Command = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


class CommandError(Exception):
    """A command cannot go on; the message says why, in words."""


def add_common(parser: argparse.ArgumentParser) -> None:
    """--config and --db, accepted by every command."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="settings file (default: $ELIGIBILITY_GW_CONFIG or the example)",
    )
    parser.add_argument("--db", metavar="PATH", help="SQLite registry file (overrides [store])")


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings with the command line's overrides."""
    settings = load_settings(args.config)
    if getattr(args, "db", None):
        settings = settings.with_store_path(args.db)
    return settings


@asynccontextmanager
async def gateway_from(args: argparse.Namespace) -> AsyncIterator[Gateway]:
    """Open the gateway for one command, and close it after."""
    gateway = await open_gateway(settings_from(args))
    try:
        yield gateway
    finally:
        await gateway.close()


def run(command: Command, args: argparse.Namespace) -> int:
    """Run an async command; turn known failures into a message and an exit code."""
    try:
        settings = settings_from(args)
    except SettingsError as exc:
        err(str(exc))
        return EXIT_USAGE
    try:
        # Only the server logs its traffic; one-shot commands speak through their output.
        level = settings.logging.level if args.name in ("serve", "demo") else "warning"
        configure_logging(level, settings.logging.format)
        return asyncio.run(command(args))
    except (SettingsError, CommandError) as exc:
        err(str(exc))
        return EXIT_USAGE
    except RulePackError as exc:  # the operator's configuration: its own words, not a catalog's
        err(str(exc))
        return EXIT_USAGE
    except EligibilityError as exc:
        err(Wording(getattr(args, "lang", None) or settings.default_language).error(exc))
        return EXIT_USAGE
    except StoreUnavailable as exc:
        err(f"the store cannot be opened or read: {exc.problem}")
        return EXIT_FAILED
    except OSError as exc:
        err(f"a file cannot be read or written: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        err("interrupted")
        return 130


def err(message: str) -> None:
    """Print a message for the operator on stderr."""
    print(f"eligibility-gw: {message}", file=sys.stderr)


def out(*parts: Any) -> None:
    """Print to stdout."""
    print(*parts)
