"""``demo``: build a demo registry (personas plus synthetic families) and serve it.

``--write-settings FILE`` (what ``make run`` passes: ``var/demo.toml``) leaves a settings
file naming the demo's database, so that every other command can be pointed at it
(``ELIGIBILITY_GW_CONFIG`` or ``--config``): ``staff add`` then creates the account the
served console signs in with.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tomllib
from pathlib import Path

from eligibility_gw.bootstrap import SQLITE_PREFIX, open_gateway, sqlite_path
from eligibility_gw.cli.common import (
    EXIT_OK,
    CommandError,
    lasting,
    out,
    settings_from,
    store_url,
    with_store,
)
from eligibility_gw.cli.serve import serve_forever
from eligibility_gw.demo import (
    DEMO_PROVIDER_ID,
    DEMO_PROVIDER_KEY,
    Persona,
    answer_words,
    language_hints,
    personas,
    seed_demo,
)
from eligibility_gw.policy.askers import Asker
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.settings import CONFIG_ENV, Settings, default_config_text, parse_settings
from eligibility_gw.synthetic import synthetic_rows
from eligibility_gw.wording import Wording

DEFAULT_DB = "var/demo.sqlite3"
_TABLE = re.compile(r"^\s*\[")
_STORE_TABLE = re.compile(r"^\s*\[store\]\s*(#.*)?$")
_URL_KEY = re.compile(r"^\s*url\s*=")


async def build_demo(settings: Settings, families: int) -> int:
    """Fill the store with personas and ``families`` synthetic families; return the count."""
    gateway = await open_gateway(settings)
    try:
        today = settings.today()
        await seed_demo(gateway.store, gateway.pack, today)
        batch = []
        for row in synthetic_rows(gateway.pack, families, today):
            batch.append(row)
            if len(batch) >= 20_000:
                await gateway.store.registry.upsert_rows(batch)
                batch = []
        if batch:
            await gateway.store.registry.upsert_rows(batch)
        return await gateway.store.registry.count_people()
    finally:
        await gateway.close()


async def persona_answers(settings: Settings, people: list[Persona]) -> dict[str, str]:
    """What the gateway answers about each persona today, in the default language.

    A preview, as the console's: nothing is logged, no tracking code is drawn, nobody told.
    """
    w = Wording(settings.default_language)
    asker = Asker.for_operator("demo")
    gateway = await open_gateway(settings)
    try:
        answers = {}
        for persona in people:
            national_id = persona.row.national_id
            family = await gateway.inquiries.family_of(asker, national_id)
            if family is None:
                continue
            for found in await gateway.inquiries.preview(asker, family):
                if found.person.national_id == national_id:
                    answers[persona.key] = answer_words(found.decision, w)
        return answers
    finally:
        await gateway.close()


def with_store_url(text: str, url: str) -> str:
    """Settings text ``text`` with ``[store] url`` set to ``url`` (its other lines as they are)."""
    value = f"url = {json.dumps(url)}"  # a TOML basic string is written as JSON's
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _STORE_TABLE.match(line)), None)
    if start is None:
        return text.rstrip("\n") + f"\n\n[store]\n{value}\n"
    end = next((i for i in range(start + 1, len(lines)) if _TABLE.match(lines[i])), len(lines))
    for i in range(start + 1, end):
        if _URL_KEY.match(lines[i]):
            lines[i] = value
            break
    else:
        lines.insert(start + 1, value)
    return "\n".join(lines) + "\n"


def write_settings(path: Path, args: argparse.Namespace, url: str) -> None:
    """Leave the settings in use, with the demo's store, at ``path``."""
    source = args.config or os.environ.get(CONFIG_ENV)
    base = Path(source).read_text("utf-8") if source else default_config_text()
    text = with_store_url(base, url)
    if parse_settings(tomllib.loads(text)).store.url != url:  # never leave a file that lies
        raise CommandError(f"cannot set [store] url in the settings of {source}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def _absolute(url: str) -> str:
    """An SQLite URL with an absolute path: the settings work from any directory."""
    if not url.startswith(SQLITE_PREFIX):
        return url
    return f"{SQLITE_PREFIX}{sqlite_path(url).resolve()}"


async def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo database, list the personas, and serve unless told not to."""
    base = settings_from(args)
    settings = base if args.db else with_store(base, store_url(DEFAULT_DB))
    lasting(settings, "the demo served afterwards")  # built, closed, then opened again
    url = _absolute(settings.store.url)
    settings = with_store(settings, url)
    if args.fresh:
        if not url.startswith(SQLITE_PREFIX):
            raise CommandError("--fresh empties an SQLite file; drop a PostgreSQL schema yourself")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path(url)}{suffix}").unlink(missing_ok=True)
    count = await build_demo(settings, args.families)
    pack = rule_pack_for(settings)
    out(f"demo registry ready: {count} persons under {pack.label} in {settings.store.url}")
    out(f"demo provider {DEMO_PROVIDER_ID}: API key {DEMO_PROVIDER_KEY}")
    people = personas(pack, settings.today())
    answers = await persona_answers(settings, people)
    language = settings.default_language
    out(f"personas (national id, who, what the answer shows; today's answer in {language}):")
    for p in people:
        out(f"  {p.row.national_id}  {p.key:<26} {p.shows}")
        if p.key in answers:
            out(f"  {'':<{len(p.row.national_id)}}  → {answers[p.key]}")
    for line in language_hints(settings.gateway.languages):
        out(line)
    if args.write_settings:
        target = Path(args.write_settings)
        write_settings(target, args, url)
        out(f"settings of this demo written to {target}; point every command at it:")
        out(f"  export {CONFIG_ENV}={target.resolve()}")
        out("  eligibility-gw staff add NAME --role supervisor   # then sign in at /console/")
    if args.no_serve:
        return EXIT_OK
    await serve_forever(
        settings, args.host or settings.server.host, args.port or settings.server.port
    )
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command to the parser."""
    p = sub.add_parser(
        "demo", parents=[common], help=f"build a demo registry (default {DEFAULT_DB}) and serve it"
    )
    p.add_argument("--families", type=int, default=10_000, help="synthetic families (10000)")
    p.add_argument("--fresh", action="store_true", help="start from an empty database")
    p.add_argument("--no-serve", action="store_true", help="build the database and stop")
    p.add_argument(
        "--write-settings",
        metavar="FILE",
        help="leave the settings in use, naming the demo's database, in FILE (var/demo.toml)",
    )
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(command=cmd_demo)
