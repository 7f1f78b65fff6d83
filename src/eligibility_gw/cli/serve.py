"""``serve``: run the HTTP app with every configured channel, in one or several processes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import signal
from collections.abc import AsyncIterator
from types import FrameType

import structlog
from aiohttp import web

from eligibility_gw.appkeys import GATEWAY
from eligibility_gw.audit.writer import checkpoints_while_serving, signer_from
from eligibility_gw.channels import gateway_app
from eligibility_gw.cli.common import EXIT_OK, EXIT_USAGE, err, run, settings_from
from eligibility_gw.cli.providers import daily_provider_check
from eligibility_gw.cli.reminders import daily_reminders
from eligibility_gw.logs import configure_logging
from eligibility_gw.settings import Settings, SettingsError

log = structlog.get_logger(__name__)
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def settle_heap() -> None:
    """Take what start-up loaded (modules, catalogs, rule pack, routes) out of the collector's
    sight: a full collection then scans only what serving created. Without it each full
    collection walked the whole start-up heap, about 50 ms during which no request moved:
    the slowest hundredth of answers waited for those pauses.
    """
    gc.collect()
    gc.freeze()


def add_checkpoints(app: web.Application, settings: Settings) -> None:
    """Sign checkpoints of the answer log while serving (``[audit] checkpoint_seconds``).

    Registered after the gateway's own context: it starts once the store is open, and signs
    its last checkpoint before the store closes. Without a signing key nothing starts.
    """
    if not settings.audit.checkpoint_seconds:
        return
    signer_from(settings)  # refused here, before anything listens

    async def checkpoints(app: web.Application) -> AsyncIterator[None]:
        async with checkpoints_while_serving(settings, app[GATEWAY].store.answers):
            yield

    app.cleanup_ctx.append(checkpoints)


async def serve_forever(settings: Settings, host: str, port: int, reuse_port: bool = False) -> None:
    """Serve until SIGINT/SIGTERM, then stop in order.

    The signal only ends the wait: the listening socket closes, requests in flight get up to
    ``[server] shutdown_grace`` seconds to finish (their answers are logged before they are
    sent), and then the clean-ups flush the answer log and close the stores. Letting the
    signal raise instead would cancel every task at once, in-flight requests included.
    """
    app = gateway_app(settings)
    add_checkpoints(app, settings)
    if settings.reminders.daily_at:  # reminders and the uploads' retention, once a day
        app.cleanup_ctx.append(daily_reminders)
    app.cleanup_ctx.append(daily_provider_check)
    runner = web.AppRunner(
        app, handle_signals=False, shutdown_timeout=settings.server.shutdown_grace
    )
    await runner.setup()
    settle_heap()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[str] = []

    def on_signal(signum: signal.Signals) -> None:
        received.append(signum.name)
        stop.set()

    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
        await site.start()
        print(f"eligibility-gw serving on http://{host}:{port} (Ctrl-C to stop)", flush=True)
        await stop.wait()
        log.info("stopping", signal=received[0], grace_s=settings.server.shutdown_grace)
    finally:
        try:
            await runner.cleanup()
        finally:
            for signum in _STOP_SIGNALS:
                loop.remove_signal_handler(signum)
    log.info("stopped")


def _worker(settings: Settings, host: str, port: int) -> None:
    configure_logging(settings.logging.level, settings.logging.format, cache=True)
    with contextlib.suppress(KeyboardInterrupt, web.GracefulExit):
        asyncio.run(serve_forever(settings, host, port, reuse_port=True))


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> int:
    """Run ``workers`` processes sharing the port (SO_REUSEPORT); stop them all together."""
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_worker, args=(settings, host, port), name=f"worker-{i}")
        for i in range(workers)
    ]
    for p in procs:
        p.start()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        for p in procs:
            if p.is_alive():
                p.terminate()  # SIGTERM: each worker drains and closes its stores

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for p in procs:
        p.join()
    failed = [p.name for p in procs if p.exitcode not in (0, -signal.SIGTERM)]
    if failed:
        err(f"worker(s) exited with an error: {', '.join(failed)}")
        return 1
    return EXIT_OK


async def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the app in this process."""
    settings = settings_from(args)
    await serve_forever(
        settings, args.host or settings.server.host, args.port or settings.server.port
    )
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    """One process, or ``--workers N`` processes supervised from here (no event loop)."""
    if args.workers == 1:
        return run(cmd_serve, args)
    try:
        settings = settings_from(args)
        if settings.audit.checkpoint_seconds:
            signer_from(settings)
    except SettingsError as exc:
        err(str(exc))
        return EXIT_USAGE
    if args.workers < 1:
        err("--workers must be at least 1")
        return EXIT_USAGE
    if settings.state.url.startswith("memory:"):
        err(
            '--workers > 1 needs shared state: set [state] url = "redis://..." '
            "(sessions, de-duplication and rate limits must be seen by every worker)"
        )
        return EXIT_USAGE
    if settings.store.url.startswith("sqlite:"):
        err(
            "warning: several workers on one SQLite file serialise their writes; "
            "use PostgreSQL for more than one machine"
        )
    return serve_workers(
        settings, args.host or settings.server.host, args.port or settings.server.port, args.workers
    )


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command to the parser."""
    p = sub.add_parser("serve", parents=[common], help="serve the HTTP app")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument(
        "--workers", type=int, default=1, help="processes sharing the port (needs [state] on Redis)"
    )
    p.set_defaults(command=cmd_serve, runner=run_serve)
