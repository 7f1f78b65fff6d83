"""``staff``: call-centre accounts for the console (add, list, disable, enable, password).

A password is never an argument (it would stay in the shell's history and in ``ps``): it is
prompted for twice without echo, or read from ``$ELIGIBILITY_GW_STAFF_PASSWORD`` or, with
``--password-stdin``, from the first line of standard input (for scripts and tests).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from eligibility_gw.bootstrap import MEMORY_STORE, open_gateway
from eligibility_gw.channels.console.passwords import hash_password
from eligibility_gw.channels.console.settings import console_settings
from eligibility_gw.channels.console.signin import USERNAME
from eligibility_gw.cli.common import EXIT_FAILED, EXIT_OK, CommandError, err, out, settings_from
from eligibility_gw.ports.casework import ConsoleStore, Role

PASSWORD_ENV = "ELIGIBILITY_GW_STAFF_PASSWORD"  # noqa: S105 (a variable's name, not a secret)


@asynccontextmanager
async def _store(args: argparse.Namespace) -> AsyncIterator[ConsoleStore]:
    """The gateway's casework store, for one command (the gateway closes after it)."""
    settings = settings_from(args)
    if settings.store.url == MEMORY_STORE:
        # The accounts would be gone when the command ends, before any server could use them.
        raise CommandError(
            f"[store] url is {MEMORY_STORE}: staff accounts need an SQLite file or PostgreSQL"
        )
    gateway = await open_gateway(settings)
    try:
        yield gateway.store.casework
    finally:
        await gateway.close()


def _username(text: str) -> str:
    name = text.strip().lower()
    if not USERNAME.match(name):
        raise CommandError("user name: 2 to 64 of a-z 0-9 . _ -, starting with a letter or digit")
    return name


def read_password(args: argparse.Namespace, min_length: int) -> str:
    """The new password: from stdin (``--password-stdin``), the environment, or a prompt."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    else:
        if not sys.stdin.isatty():
            raise CommandError(
                f"no terminal to ask for the password: use --password-stdin or ${PASSWORD_ENV}"
            )
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise CommandError("the two passwords differ")
    if len(password) < min_length:
        raise CommandError(f"the password must have at least {min_length} characters")
    if len(password) > 1024:
        raise CommandError("the password may have at most 1024 characters")
    return password


async def cmd_add(args: argparse.Namespace) -> int:
    """Create an account with a role; the password is asked for (never an argument)."""
    username = _username(args.username)
    password = read_password(args, console_settings(settings_from(args)).password_min_length)
    async with _store(args) as store:
        if await store.get_staff(username) is not None:
            raise CommandError(f"staff account {username!r} exists already")
        try:
            await store.add_staff(username, Role(args.role), hash_password(password))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    out(f"staff account {username} added ({args.role})")
    return EXIT_OK


async def cmd_list(args: argparse.Namespace) -> int:
    """One line per account: name, role, state."""
    async with _store(args) as store:
        accounts = await store.list_staff()
    for a in accounts:
        state = "active" if a.active else "DISABLED"
        out(f"{a.username}\t{a.role.value}\t{state}\t{a.created_at.date().isoformat()}")
    if not accounts:
        out("no staff accounts")
    return EXIT_OK


async def _set_active(args: argparse.Namespace, active: bool) -> int:
    username = _username(args.username)
    async with _store(args) as store:
        account = await store.set_staff_active(username, active)
    if account is None:
        err(f"no staff account {username!r}")
        return EXIT_FAILED
    out(f"staff account {username} {'enabled' if active else 'disabled'}")
    return EXIT_OK


async def cmd_disable(args: argparse.Namespace) -> int:
    """Refuse the account's sign-ins; its open sessions end at their next page."""
    return await _set_active(args, False)


async def cmd_enable(args: argparse.Namespace) -> int:
    """Let a disabled account sign in again."""
    return await _set_active(args, True)


async def cmd_password(args: argparse.Namespace) -> int:
    """Give an account a new password."""
    username = _username(args.username)
    password = read_password(args, console_settings(settings_from(args)).password_min_length)
    async with _store(args) as store:
        if await store.get_staff(username) is None:
            err(f"no staff account {username!r}")
            return EXIT_FAILED
        await store.set_password_hash(username, hash_password(password))
    out(f"staff account {username}: password changed")
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command group to the parser."""
    p = sub.add_parser("staff", help="call-centre console accounts")
    tasks = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    secret = argparse.ArgumentParser(add_help=False)
    secret.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read the password from the first line of stdin (else ${PASSWORD_ENV}, else a"
        " prompt)",
    )
    add = tasks.add_parser(
        "add", parents=[common, secret], help="create an account (the password is prompted)"
    )
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.set_defaults(command=cmd_add)
    lst = tasks.add_parser("list", parents=[common], help="list accounts")
    lst.set_defaults(command=cmd_list)
    for name, fn, text in (
        ("disable", cmd_disable, "refuse an account's sign-ins"),
        ("enable", cmd_enable, "let a disabled account sign in again"),
    ):
        q = tasks.add_parser(name, parents=[common], help=text)
        q.add_argument("username")
        q.set_defaults(command=fn)
    pw = tasks.add_parser(
        "password", parents=[common, secret], help="set a new password (prompted)"
    )
    pw.add_argument("username")
    pw.set_defaults(command=cmd_password)
