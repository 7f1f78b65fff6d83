"""Typed keys of the aiohttp application state."""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.bootstrap import Core
from eligibility_gw.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CORE = web.AppKey("core", Core)
