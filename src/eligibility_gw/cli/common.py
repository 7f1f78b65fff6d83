"""What every command shares: settings from --config/--db, errors in words, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from eligibility_gw.bootstrap import (
    MEMORY_STORE,
    POSTGRES_PREFIXES,
    SQLITE_PREFIX,
    open_gateway,
    sqlite_path,
)
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
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        help="the store (overrides [store] url): a path to an SQLite file, sqlite:///PATH,"
        " or postgresql://USER@HOST:PORT/DB",
    )


#: A URL's scheme at the start of ``--db``: ``postgresql:``, ``sqlite:``, ``mysql:``…
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def store_url(text: str) -> str:
    """The store ``--db`` names: a store URL as given, or a path as an SQLite file's URL.

    Anything that starts like a URL of another kind (``mysql://…``, ``sqlite://x`` with two
    slashes, ``postgresql:/x``) is refused: as a path it would create a directory named
    after the scheme and a new, empty SQLite file inside it.
    """
    text = text.strip()
    if not text:
        raise SettingsError("--db: empty; give a path to an SQLite file or a store URL")
    if text == MEMORY_STORE or text.startswith(POSTGRES_PREFIXES):
        return text
    if text.startswith(SQLITE_PREFIX):
        try:
            sqlite_path(text)
        except SettingsError as exc:
            raise SettingsError(f"--db: {exc}") from None
        return text
    scheme = _SCHEME.match(text)
    if scheme is not None:
        hint = " (three slashes: sqlite:///PATH)" if scheme.group(1).lower() == "sqlite" else ""
        raise SettingsError(
            f"--db: {scheme.group(1)}: is not a store address this gateway knows{hint}; give a"
            " path to an SQLite file, sqlite:///PATH, postgresql://USER@HOST:PORT/DB or"
            f" {MEMORY_STORE} (a file name holding ':' can be written ./NAME)"
        )
    return f"{SQLITE_PREFIX}{Path(text)}"


def with_store(settings: Settings, url: str) -> Settings:
    """``settings`` with the store at ``url``."""
    return replace(settings, store=replace(settings.store, url=url))


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings with the command line's overrides."""
    settings = load_settings(args.config)
    if getattr(args, "db", None):
        settings = with_store(settings, store_url(args.db))
    return settings


def lasting(settings: Settings, what: str) -> Settings:
    """``settings``, refused when their store would vanish with the command (``memory://``)."""
    if settings.store.url == MEMORY_STORE:
        raise CommandError(
            f"the store is {MEMORY_STORE}: {what} would be gone when the command ends; use"
            " --db PATH or a postgresql:// URL (or [store] url in the settings)"
        )
    return settings


@asynccontextmanager
async def gateway_from(
    args: argparse.Namespace, lasting_what: str | None = "what this command writes"
) -> AsyncIterator[Gateway]:
    """Open the gateway for one command, and close it after.

    A store in memory is refused (``lasting_what`` says what would be lost) unless
    ``lasting_what`` is None.
    """
    settings = settings_from(args)
    if lasting_what is not None:
        lasting(settings, lasting_what)
    gateway = await open_gateway(settings)
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
        configure_logging(level, settings.logging.format, cache=args.name == "serve")
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
