"""Status today on the console is the service's answer, previewed: live registries included.

A student registry (a local fake of the HTTP contract in ``adapters/evidence/student.py``)
holds a certificate the registry file lacks: the service answers "eligible", and so must the
console's family table, without logging anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from eligibility_gw.policy.askers import Asker
from tests.channels.console.conftest import Console, MakeConsole
from tests.channels.console.support import AGENT, SON

REZAEI_FAMILY = {
    "rezaei": "Ali Rezaei",
    "rezaei-wife": "Maryam Rezaei",
    "rezaei-son-18": "Amir Rezaei",
    "rezaei-son-student": "Reza Rezaei",
    "rezaei-son-no-cert": "Hamid Rezaei",
    "rezaei-daughter-no-bc": "Sara Rezaei",
}


@dataclass
class StudentRegistry:
    """Answers certificate lookups: the certificates it holds per national id, else none."""

    holds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    status: int = 200
    asked: list[str] = field(default_factory=list)

    async def lookup(self, request: web.Request) -> web.Response:
        body = await request.json()
        national_id = str(body["national_id"])
        self.asked.append(national_id)
        if self.status != 200:
            return web.json_response({"error": "down"}, status=self.status)
        certificates = self.holds.get(national_id, [])
        return web.json_response({"national_id": national_id, "certificates": certificates})


async def with_registry(
    make_console: MakeConsole, aiohttp_server: AiohttpServer, registry: StudentRegistry
) -> Console:
    app = web.Application()
    app.router.add_post("/students", registry.lookup)
    server = await aiohttp_server(app)
    evidence = {"student": {"url": str(server.make_url("/students")), "timeout": 2}}
    return await make_console(gateway={"extra": {"evidence": evidence}})


def statuses_on_page(page: str) -> dict[str, str]:
    """Each member's status today as the family table shows it, by name."""
    rows = re.findall(r'<tr class="status-(\w+)[^"]*" data-status="\w+">(.*?)</tr>', page, re.S)
    found = {}
    for status, row in rows:
        name = re.search(r"<bdi>([^<]+)</bdi>", row)
        assert name
        found[name.group(1)] = status
    return found


@pytest.mark.parametrize("registry_up", [True, False])
async def test_status_today_is_what_the_service_answers(
    make_console: MakeConsole, aiohttp_server: AiohttpServer, registry_up: bool
) -> None:
    registry = StudentRegistry(status=200 if registry_up else 503)
    console = await with_registry(make_console, aiohttp_server, registry)
    son = console.ids[SON]
    until = console.inquiries.today() + timedelta(days=120)
    registry.holds[son] = [{"valid_from": None, "valid_until": until.isoformat()}]

    agent = await console.agent()
    response, page = await agent.search(son)
    assert response.status == 200, page
    shown = statuses_on_page(page)
    assert set(shown) == set(REZAEI_FAMILY.values())
    assert son in registry.asked  # the registry was asked, as an answer would ask it
    assert await console.tg.answers() == 0  # a preview: nothing logged

    staff = Asker.for_staff(AGENT)
    for key, name in REZAEI_FAMILY.items():
        answered = await console.inquiries.ask(staff, console.ids[key])
        assert shown[name] == answered.status.value, name
    # The registry's certificate covers the son; without it, the file's "no certificate" holds.
    assert shown["Hamid Rezaei"] == ("eligible" if registry_up else "not_eligible")
    if not registry_up:  # documents on file decide, and the answer says so
        son_row = page.split("Hamid Rezaei</bdi>")[1].split("</tr>")[0]
        assert "on file" in son_row
