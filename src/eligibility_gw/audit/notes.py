"""C2SP signed notes with Ed25519 keys (https://c2sp.org/signed-note).

A note is UTF-8 text ending in a newline, then a blank line, then one line per signature:
``— <key name> <base64(key hash ‖ signature)>``. The key hash is the first four bytes of
SHA-256(key name ‖ "\\n" ‖ 0x01 ‖ public key), 0x01 naming Ed25519. Keys are written as
Go's ``golang.org/x/mod/sumdb/note`` writes them, so that its tools (and witnesses) read ours:

- verifier (public) key: ``<name>+<hash, 8 hex digits>+<base64(0x01 ‖ public key)>``
- signer (private) key: ``PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ private seed)>``
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 1
_SIGNATURE_START = "\u2014 "  # an em dash and a space
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_ED25519_SIZE = 32


class NoteError(ValueError):
    """A key or a note that cannot be read, or a note no trusted key signed."""


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name) or not name.isprintable():
        raise NoteError(f"key name {name!r}: printable, without spaces or '+'")
    return name


def key_hash(name: str, public_key: bytes) -> int:
    """The four-byte hash naming a key in signature lines."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key)
    return int(struct.unpack(">I", digest.digest()[:4])[0])


def _key_bytes(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what}: the key is not base64") from None
    if len(raw) != 1 + _ED25519_SIZE or raw[0] != ALG_ED25519:
        raise NoteError(f"{what}: not an Ed25519 key")
    return raw[1:]


def _hash_field(text: str, what: str) -> int:
    if len(text) != 8 or any(c not in "0123456789abcdef" for c in text):
        raise NoteError(f"{what}: the key hash is not 8 hex digits")
    return int(text, 16)


@dataclass(frozen=True, slots=True)
class Verifier:
    """A public key that checks signatures of one name."""

    name: str
    public_key: bytes

    @property
    def hash(self) -> int:
        """The key's hash, as signature lines carry it."""
        return key_hash(self.name, self.public_key)

    def encoded(self) -> str:
        """``name+hash+base64``: what to give whoever verifies."""
        raw = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.hash:08x}+{raw}"

    def verifies(self, text: bytes, signature: bytes) -> bool:
        """Say whether ``signature`` signs ``text`` under this key."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Signer:
    """A private key that signs notes under one name."""

    name: str
    seed: bytes

    @property
    def verifier(self) -> Verifier:
        """The matching public key."""
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return Verifier(self.name, public)

    def encoded(self) -> str:
        """``PRIVATE+KEY+name+hash+base64``: a secret, for the gateway's environment only."""
        raw = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode("ascii")
        return f"{_PRIVATE_PREFIX}{self.name}+{self.verifier.hash:08x}+{raw}"

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which must end in a newline and hold no blank line)."""
        body = note_text(text)
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(body.encode("utf-8"))
        stamp = base64.b64encode(struct.pack(">I", self.verifier.hash) + signature)
        return f"{body}\n{_SIGNATURE_START}{self.name} {stamp.decode('ascii')}\n"


def new_signer(name: str) -> Signer:
    """A fresh Ed25519 key pair under ``name``."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return Signer(_check_name(name), seed)


def read_signer(text: str) -> Signer:
    """A signer key as ``Signer.encoded`` writes it; ``NoteError`` otherwise."""
    text = text.strip()
    if not text.startswith(_PRIVATE_PREFIX):
        raise NoteError("signing key: expected PRIVATE+KEY+<name>+<hash>+<key>")
    parts = text[len(_PRIVATE_PREFIX) :].split("+", 2)  # base64 may hold '+' too
    if len(parts) != 3:
        raise NoteError("signing key: expected PRIVATE+KEY+<name>+<hash>+<key>")
    name, hash_text, key_text = parts
    signer = Signer(_check_name(name), _key_bytes(key_text, "signing key"))
    if _hash_field(hash_text, "signing key") != signer.verifier.hash:
        raise NoteError("signing key: the hash does not match the name and key")
    return signer


def read_verifier(text: str) -> Verifier:
    """A public key as ``Verifier.encoded`` writes it; ``NoteError`` otherwise."""
    text = text.strip()
    if text.startswith(_PRIVATE_PREFIX):
        raise NoteError("that is a signing key (a secret): give the public key instead")
    parts = text.split("+", 2)  # base64 may hold '+' too
    if len(parts) != 3:
        raise NoteError("public key: expected <name>+<hash>+<key>")
    name, hash_text, key_text = parts
    verifier = Verifier(_check_name(name), _key_bytes(key_text, "public key"))
    if _hash_field(hash_text, "public key") != verifier.hash:
        raise NoteError("public key: the hash does not match the name and key")
    return verifier


def note_text(text: str) -> str:
    """``text`` checked as a note's text: UTF-8 lines, each ending in a newline, none blank."""
    if not text.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    if "\n\n" in text or text.startswith("\n"):
        raise NoteError("a note's text holds no blank line")
    if any(c != "\n" and (ord(c) < 0x20 or ord(c) == 0x7F) for c in text):
        raise NoteError("a note's text holds no control characters")
    return text


def open_note(note: str, verifier: Verifier) -> str:
    """The text of ``note`` when ``verifier`` signed it; ``NoteError`` saying why not.

    Signatures by other keys are passed over: a note may carry a witness's too.
    """
    if not note.endswith("\n") or "\n\n" not in note:
        raise NoteError("not a signed note (text, a blank line, signature lines)")
    split = note.rindex("\n\n")
    text, signatures = note[: split + 1], note[split + 2 :]
    note_text(text)
    found_name = False
    for line in signatures.splitlines():
        if not line.startswith(_SIGNATURE_START):
            raise NoteError("a signature line starts with '\u2014 '")
        name, _, stamp = line[len(_SIGNATURE_START) :].rpartition(" ")
        if name != verifier.name:
            continue
        found_name = True
        try:
            raw = base64.b64decode(stamp, validate=True)
        except (binascii.Error, ValueError):
            raise NoteError("a signature is not base64") from None
        if len(raw) < 4 or struct.unpack(">I", raw[:4])[0] != verifier.hash:
            continue  # another key of the same name
        if verifier.verifies(text.encode("utf-8"), raw[4:]):
            return text
        raise NoteError(f"the signature by {verifier.name} does not match the text")
    if found_name:
        raise NoteError(f"signed by another key named {verifier.name}")
    raise NoteError(f"not signed by {verifier.name}")
