"""``reminders run`` and ``uploads purge``; and the daily task ``serve`` runs them from.

``reminders run`` tells whoever's cover ends within the rule pack's reminder days (see
``eligibility_gw.reminders``), prints a progress bar on a terminal and one summary line:
sent / skipped / failed. ``--dry-run`` lists what would be sent and sends (and records)
nothing. ``uploads purge`` expires uploads nobody reviewed and deletes the files of
rejected and expired ones past the retention. With ``[reminders] daily_at`` set, ``serve``
does both once a day at that local time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TextIO

import structlog
from aiohttp import web

from eligibility_gw.appkeys import GATEWAY
from eligibility_gw.cli.common import EXIT_FAILED, EXIT_OK, CommandError, gateway_from, out
from eligibility_gw.gateway import Gateway
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.reminders import Planned, Reminders, RunSummary, next_daily_run
from eligibility_gw.settings import clock_time
from eligibility_gw.textinput import parse_date
from eligibility_gw.uploads import Uploads

log = structlog.get_logger(__name__)
_BAR = 30


class ProgressBar:
    """Families read so far, as a bar redrawn in place (only on a terminal)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        """Redraw the bar."""
        share = done / total if total else 1.0
        filled = min(_BAR, int(share * _BAR))
        self.stream.write(f"\r[{'#' * filled}{'.' * (_BAR - filled)}] {done}/{total} families")
        self.stream.flush()
        self.drawn = True

    def end(self) -> None:
        """Leave the bar's line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _masked(national_id: str) -> str:
    return "*" * max(0, len(national_id) - 4) + national_id[-4:]


def planned_line(p: Planned) -> str:
    """One reminder as ``--dry-run`` lists it (the national id masked)."""
    r = p.reminder
    return (
        f"{_masked(r.national_id)}  {r.milestone:>3} days  {r.ending.rule.value:<14}"
        f"  {p.route.value:<8}  {p.language}  {p.text}"
    )


def _followups(gateway: Gateway) -> tuple[Reminders, Uploads]:
    if gateway.reminders is None or gateway.uploads is None:
        raise CommandError("this gateway was assembled without reminders and uploads")
    return gateway.reminders, gateway.uploads


async def cmd_run(args: argparse.Namespace) -> int:
    """Send today's reminders (or list them)."""
    day = parse_date(args.date) if args.date else None
    if args.limit is not None and args.limit <= 0:
        raise CommandError("--limit must be a positive number")
    async with gateway_from(args) as gateway:
        reminders, _ = _followups(gateway)
        bar = ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
        try:
            summary = await reminders.run(day, dry_run=args.dry_run, limit=args.limit, progress=bar)
        finally:
            if bar is not None:
                bar.end()
    if args.dry_run:
        for planned in summary.planned:
            out(planned_line(planned))
    out(summary.line())
    return EXIT_FAILED if summary.failed else EXIT_OK


async def cmd_purge(args: argparse.Namespace) -> int:
    """Expire and delete uploads past their time."""
    async with gateway_from(args) as gateway:
        _, uploads = _followups(gateway)
        done = await uploads.purge()
    out(f"uploads: {done.expired} expired, {done.deleted} files deleted")
    return EXIT_OK


# --- the daily task inside ``serve`` --------------------------------------------------------

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]


async def run_daily(gateway: Gateway, clock: Clock, sleep: Sleep) -> None:
    """Every day at ``[reminders] daily_at`` (local time): send the reminders, then purge
    uploads. A failed day is logged and the next one tried; cancelling ends the loop."""
    reminders, uploads = _followups(gateway)
    at = clock_time(gateway.settings.reminders.daily_at, "[reminders] daily_at")
    while True:
        now = clock()
        due = next_daily_run(now, at, reminders.tz)
        await sleep((due - now).total_seconds())
        try:
            summary: RunSummary = await reminders.run(due.date())
            purged = await uploads.purge()
        except StoreUnavailable as exc:
            log.error("daily_reminders_failed", problem=exc.problem)
            continue
        log.info(
            "daily_reminders_done",
            sent=summary.sent,
            skipped=summary.skipped,
            failed=summary.failed,
            deferred=summary.deferred,
            stopped=summary.stopped,
            uploads_expired=purged.expired,
            uploads_deleted=purged.deleted,
        )


async def daily_reminders(app: web.Application) -> AsyncIterator[None]:
    """A clean-up context for ``serve``: the daily task, from start-up to shut-down.

    Every worker process runs it: the store's claims see to it that each reminder goes out
    once whatever the number of workers.
    """
    gateway = app[GATEWAY]
    task = asyncio.get_running_loop().create_task(
        run_daily(gateway, lambda: datetime.now(UTC), asyncio.sleep), name="daily-reminders"
    )
    log.info("daily_reminders_on", at=gateway.settings.reminders.daily_at)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``reminders`` and ``uploads`` to the parser."""
    p = sub.add_parser("reminders", help="reminders before cover ends")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser(
        "run", parents=[common], help="send the reminders due today (once each, ever)"
    )
    run.add_argument("--date", help="run as on this day, YYYY-MM-DD (default: today)")
    run.add_argument("--dry-run", action="store_true", help="list, send and record nothing")
    run.add_argument("--limit", type=int, help="send at most this many ([reminders] per_run)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(command=cmd_run)
    u = sub.add_parser("uploads", help="documents sent from a phone")
    uploads = u.add_subparsers(dest="action", required=True, metavar="ACTION")
    purge = uploads.add_parser(
        "purge", parents=[common], help="expire unreviewed uploads, delete old files"
    )
    purge.set_defaults(command=cmd_purge)
