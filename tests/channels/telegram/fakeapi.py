"""A fake of the Telegram Bot API: answers what the bot calls, records every call, and
refuses what Telegram refuses (texts over 4096 units, button data over 64 bytes)."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7_000_001
BOT_USERNAME = "egw_test_bot"
#: Parameters PTB sends JSON-encoded (strings it sends as they are).
_JSON_PARAMS = frozenset({"reply_markup", "allowed_updates", "drop_pending_updates", "show_alert"})
_INT_PARAMS = frozenset({"chat_id", "message_id"})


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API call: the method and its parameters, decoded."""

    method: str
    params: dict[str, Any]

    @property
    def text(self) -> str:
        """The text of a ``sendMessage`` (or the note of an ``answerCallbackQuery``)."""
        return str(self.params.get("text", ""))

    @property
    def markup(self) -> dict[str, Any]:
        """The ``reply_markup`` sent, or an empty dict."""
        value = self.params.get("reply_markup")
        return value if isinstance(value, dict) else {}

    def keyboard(self) -> list[list[str]]:
        """The labels of a reply keyboard, row by row."""
        return [[str(b["text"]) for b in row] for row in self.markup.get("keyboard", [])]

    def inline(self) -> list[list[tuple[str, str]]]:
        """The (label, callback data) of inline buttons, row by row."""
        return [
            [(str(b["text"]), str(b.get("callback_data", ""))) for b in row]
            for row in self.markup.get("inline_keyboard", [])
        ]


def utf16_units(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _decode(name: str, raw: str) -> Any:
    if name in _JSON_PARAMS:
        return json.loads(raw)
    if name in _INT_PARAMS:
        return int(raw)
    return raw


@dataclass
class FakeBotApi:
    """The fake; ``failing`` names methods that answer 502 Bad Gateway.

    ``files`` holds what users sent, by file id: ``getFile`` gives each a path, served at
    ``/file/bot<token>/<path>`` as Telegram serves them (``downloads`` counts the fetches).
    """

    token: str
    calls: list[Call] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    files: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def app(self) -> web.Application:
        """The aiohttp application serving ``/bot<token>/<method>`` and the files."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app

    def add_file(self, file_id: str, content: bytes) -> str:
        """A file a user sent: its id, as a message carries it."""
        self.files[file_id] = content
        return file_id

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=404)
        file_id = request.match_info["path"].removeprefix("documents/")
        if file_id not in self.files:
            return web.Response(status=404)
        self.downloads.append(file_id)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    def since(self, mark: int) -> list[Call]:
        """The calls made after ``mark`` (a former ``len(calls)``)."""
        return self.calls[mark:]

    def sent(self, mark: int = 0) -> list[Call]:
        """The ``sendMessage`` calls after ``mark``."""
        return [c for c in self.since(mark) if c.method == "sendMessage"]

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        if request.content_type == "application/json":
            body = await request.json()
            params = dict(body) if isinstance(body, dict) else {}
        else:
            form = await request.post()
            params = {k: _decode(k, str(v)) for k, v in form.items()}
        call = Call(method, params)
        self.calls.append(call)
        if method in self.failing:
            return _error(502, "Bad Gateway")
        if method == "getFile" and call.params.get("file_id") not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        problem = _refusal(call)
        if problem is not None:
            return _error(400, problem)
        return web.json_response({"ok": True, "result": self._result(call)})

    def _result(self, call: Call) -> Any:
        if call.method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Eligibility",
                "username": BOT_USERNAME,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if call.method == "getFile":
            file_id = str(call.params.get("file_id", ""))
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        if call.method == "sendMessage":
            return {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": call.params["chat_id"], "type": "private"},
                "text": call.text,
            }
        return True


def _refusal(call: Call) -> str | None:
    """What Telegram would answer 400 to."""
    if call.method == "sendMessage" and not 1 <= utf16_units(call.text) <= 4096:
        return "Bad Request: message is too long" if call.text else "Bad Request: message is empty"
    if call.method == "answerCallbackQuery" and len(call.text) > 200:
        return "Bad Request: MESSAGE_TOO_LONG"
    for row in call.markup.get("inline_keyboard", []):
        for button in row:
            if len(str(button.get("callback_data", "")).encode("utf-8")) > 64:
                return "Bad Request: BUTTON_DATA_INVALID"
    return None


def _error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )
