"""Signed checkpoints of the answer log: a tail cut, invisible to the chain, is found.

Before, ``audit verify`` reported "chain intact" after the newest answers were deleted
(providers still holding their tracking codes). Now ``audit checkpoint`` signs the log's
size and head hash as a C2SP signed note, ``serve`` writes one every ``[audit]
checkpoint_seconds`` and posts it to a witness, and ``audit verify --checkpoints DIR`` names
the first missing row, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient, AiohttpServer

from eligibility_gw.audit.checkpoints import parse_body
from eligibility_gw.audit.notes import NoteError, new_signer, open_note, read_signer, read_verifier
from eligibility_gw.audit.writer import CheckpointWriter
from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.channels import gateway_app
from eligibility_gw.cli.main import main
from eligibility_gw.cli.serve import add_checkpoints
from eligibility_gw.demo import DEMO_PROVIDER_KEY
from eligibility_gw.policy.askers import Asker
from eligibility_gw.settings import CONFIG_ENV
from tests.contract.stores import drop_postgres_schemas, fresh_postgres_url, postgres_reachable
from tests.gateway import gateway_settings, seed

KEY_ENV = "ELIGIBILITY_GW_AUDIT_KEY"
ORIGIN = "gw.example.org/eligibility-gw/answers"  # public_base_url of the test settings


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- the signed-note format -----------------------------------------------------------------


def test_notes_are_the_go_reference_notes_byte_for_byte() -> None:
    """The example of golang.org/x/mod/sumdb/note: what Go's tools and witnesses read."""
    skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    text = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
    )
    note = (
        text + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
        "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )
    signer, verifier = read_signer(skey), read_verifier(vkey)
    assert (signer.encoded(), verifier.encoded()) == (skey, vkey)
    assert signer.verifier == verifier
    assert signer.sign(text) == note
    assert open_note(note, verifier) == text
    with pytest.raises(NoteError, match="does not match the text"):
        open_note(note.replace("answer", "ANSWER"), verifier)
    with pytest.raises(NoteError, match="not signed by"):
        open_note(note, new_signer("Someone").verifier)
    with pytest.raises(NoteError, match="hash does not match"):
        read_verifier(vkey.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(NoteError, match="a signing key"):
        read_verifier(skey)


# --- a tail cut, through the command line ---------------------------------------------------


async def _fill(url: str, answers: int) -> None:
    """``answers`` logged answers in the store at ``url`` (the demo's people)."""
    gateway = await open_gateway(gateway_settings(url))
    try:
        await seed(gateway)
        ids = ["1000000011", "1000000052", "1000000133"]
        operator = Asker.for_operator()
        await asyncio.gather(*(gateway.inquiries.ask(operator, ids[n % 3]) for n in range(answers)))
    finally:
        await gateway.close()


def _cut_sqlite(path: Path, keep: int) -> Callable[[], Coroutine[Any, Any, None]]:
    async def cut() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("DROP TRIGGER answer_log_no_delete")
            conn.execute("DELETE FROM answer_log WHERE seq > ?", (keep,))
        finally:
            conn.close()

    return cut


def _cut_postgres(url: str, keep: int) -> Callable[[], Coroutine[Any, Any, None]]:
    async def cut() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("DROP TRIGGER answer_log_no_update ON answer_log")
            await conn.execute("DELETE FROM answer_log WHERE seq > $1", keep)
            # And cover the tracks: the chain head moved back to the last row kept.
            await conn.execute(
                "UPDATE answer_chain_head SET seq = $1,"
                " row_hash = (SELECT row_hash FROM answer_log WHERE seq = $1) WHERE id",
                keep,
            )
        finally:
            await conn.close()

    return cut


@pytest.mark.parametrize("cut", [1, 100])
@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_tail_cut_is_found_given_a_checkpoint(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    store: str,
    cut: int,
) -> None:
    total = 103
    schema = None
    if store == "postgresql":
        if not postgres_reachable():
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
        url, schema = asyncio.run(fresh_postgres_url())
        remove = _cut_postgres(url, total - cut)
    else:
        db = tmp_path / "gw.sqlite3"
        url = f"sqlite:///{db}"
        remove = _cut_sqlite(db, total - cut)
    try:
        signer = new_signer("gateway.example.org/eligibility-gw/answers")
        monkeypatch.setenv(KEY_ENV, signer.encoded())
        public = signer.verifier.encoded()
        config = tmp_path / "gw.toml"
        config.write_text(
            '[server]\npublic_base_url = "https://gateway.example.org"\n'
            f'[audit]\npublic_key = "{public}"\n',
            "utf-8",
        )
        common = ["--config", str(config), "--db", url]
        asyncio.run(_fill(url, total))
        kept = tmp_path / "kept"
        code, _, err = _cli(capsys, "audit", "checkpoint", *common, "--out", f"{kept}/")
        assert code == 0 and f"checkpoint of {total} rows written to" in err
        code, out, _ = _cli(capsys, "audit", "verify", *common, "--checkpoints", str(kept))
        assert (code, out) == (
            0,
            f"answer log verified: {total} rows, chain intact; agrees with 1 checkpoint(s)\n",
        )

        asyncio.run(remove())
        # The chain alone reads as a shorter, intact log: the defect checkpoints answer.
        code, out, _ = _cli(capsys, "audit", "verify", *common)
        assert (code, out) == (0, f"answer log verified: {total - cut} rows, chain intact\n")
        code, out, err = _cli(capsys, "audit", "verify", *common, "--checkpoints", str(kept))
        assert (code, out) == (1, "")
        first = total - cut + 1
        assert f"answer log BROKEN at row {first} against checkpoint {kept}/" in err
        assert f"{cut} row(s) from row {first} on are missing" in err
    finally:
        if schema is not None:
            asyncio.run(drop_postgres_schemas([schema]))


def test_a_checkpoint_is_believed_only_with_its_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(tmp_path / "gw.sqlite3")]
    code, _, err = _cli(capsys, "audit", "checkpoint", *db)
    assert code == 2 and f"${KEY_ENV} holds no signing key" in err

    code, out, _ = _cli(capsys, "audit", "keygen", "--name", "insurer.example/answers")
    assert code == 0
    lines = out.splitlines()
    secret, public = lines[1], lines[3]
    assert secret.startswith("PRIVATE+KEY+insurer.example/answers+")
    assert public.startswith("insurer.example/answers+")
    monkeypatch.setenv(KEY_ENV, secret)
    asyncio.run(_fill(f"sqlite:///{tmp_path / 'gw.sqlite3'}", 3))
    note_file = tmp_path / "one.checkpoint"
    assert _cli(capsys, "audit", "checkpoint", *db, "--out", str(note_file))[0] == 0
    note = note_file.read_text("utf-8")
    assert parse_body(open_note(note, read_verifier(public))).size == 3
    verify = ["audit", "verify", *db, "--checkpoint", str(note_file)]

    code, _, err = _cli(capsys, *verify)
    assert code == 2 and "needs the public key" in err
    assert _cli(capsys, *verify, "--public-key", public)[0] == 0
    other = new_signer("insurer.example/answers").verifier.encoded()
    code, _, err = _cli(capsys, *verify, "--public-key", other)
    assert code == 2 and "signed by another key named insurer.example/answers" in err
    forged = tmp_path / "forged.checkpoint"
    forged.write_text(note.replace("\n3\n", "\n2\n", 1), "utf-8")
    code, _, err = _cli(
        capsys, "audit", "verify", *db, "--checkpoint", str(forged), "--public-key", public
    )
    assert code == 2 and "does not match the text" in err
    code, _, err = _cli(capsys, *verify, "--public-key", "junk")
    assert code == 2 and "public key: public key: expected <name>+<hash>+<key>" in err
    code, _, err = _cli(capsys, "audit", "verify", *db, "--checkpoints", str(tmp_path / "no"))
    assert code == 2 and "no such directory" in err


# --- serve: a checkpoint every N seconds, one at the end, and a witness ---------------------


async def _witness(aiohttp_server: AiohttpServer) -> tuple[str, list[str]]:
    """A fake witness: keeps every note posted to it."""
    received: list[str] = []

    async def add(request: web.Request) -> web.Response:
        assert request.content_type == "text/plain"
        received.append(await request.text())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/add-checkpoint", add)
    server = await aiohttp_server(app)
    return str(server.make_url("/add-checkpoint")), received


async def test_serve_signs_checkpoints_and_hands_them_to_a_witness(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    aiohttp_client: AiohttpClient,
    aiohttp_server: AiohttpServer,
) -> None:
    signer = new_signer(ORIGIN)
    monkeypatch.setenv(KEY_ENV, signer.encoded())
    witness_url, received = await _witness(aiohttp_server)
    folder = tmp_path / "checkpoints"
    audit = {"checkpoint_seconds": 3600, "checkpoint_dir": str(folder), "witness_url": witness_url}
    settings = gateway_settings(f"sqlite:///{tmp_path / 'gw.sqlite3'}", extra={"audit": audit})
    gateway = await open_gateway(settings)
    try:
        await seed(gateway)
        app = gateway_app(settings, gateway)
        add_checkpoints(app, settings)
        client = await aiohttp_client(app)
        for nid in ("1000000011", "1000000052"):
            response = await client.post(
                "/api/v1/inquiries",
                json={"national_id": nid},
                headers={"Authorization": f"Bearer {DEMO_PROVIDER_KEY}"},
            )
            assert response.status == 200
        await client.close()  # the server stops: its last checkpoint is signed
        (written,) = sorted(folder.glob("*.checkpoint"))
        note = written.read_text("utf-8")
        checkpoint = parse_body(open_note(note, signer.verifier))
        assert (checkpoint.origin, checkpoint.size) == (ORIGIN, 2)
        assert checkpoint.root == (await gateway.store.answers.head()).row_hash
        assert received == [note]
    finally:
        await gateway.close()


async def test_the_writer_signs_only_a_moved_head_and_retries_the_witness(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aiohttp_server: AiohttpServer
) -> None:
    import aiohttp

    signer = new_signer(ORIGIN)
    witness_url, received = await _witness(aiohttp_server)
    down = "http://127.0.0.1:1/add-checkpoint"
    folder = tmp_path / "cp"
    store_url = f"sqlite:///{tmp_path / 'gw.sqlite3'}"
    settings = gateway_settings(
        store_url, extra={"audit": {"checkpoint_dir": str(folder), "witness_url": down}}
    )
    gateway = await open_gateway(settings)
    try:
        await seed(gateway)
        async with aiohttp.ClientSession() as http:
            writer = CheckpointWriter(settings, gateway.store.answers, signer, http)
            first = await writer.write_once()  # an empty log is a state too
            assert first is not None and first.name.startswith("000000000000-")
            assert await writer.write_once() is None  # nothing moved: nothing new
            await gateway.inquiries.ask(Asker.for_operator(), "1000000011")
            second = await writer.write_once()
            assert second is not None and second.name.startswith("000000000001-")
            assert received == []  # the witness was down all along
            up = gateway_settings(
                store_url,
                extra={"audit": {"checkpoint_dir": str(folder), "witness_url": witness_url}},
            )
            writer = CheckpointWriter(up, gateway.store.answers, signer, http)
            await writer.write_once()
            assert [parse_body(open_note(n, signer.verifier)).size for n in received] == [1]
    finally:
        await gateway.close()


def test_serve_refuses_checkpoints_without_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gw.toml"
    config.write_text("[audit]\ncheckpoint_seconds = 60\n", "utf-8")
    argv = ["serve", "--config", str(config), "--db", str(tmp_path / "gw.sqlite3")]
    code, _, err = _cli(capsys, *argv, "--workers", "2")
    assert code == 2 and f"${KEY_ENV} holds no signing key" in err
