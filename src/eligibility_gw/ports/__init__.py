"""The small interfaces the core needs from its stores; adapters implement them.

This package holds the store ports (registry, answer log, providers, batches, short-lived
state, evidence registries); ``messages``, ``chats``, ``casework`` and ``outbound`` hold the
ports of what the channels keep and send. Every adapter turns its driver's failures
(``sqlite3``, ``asyncpg``, a pool, the network) into ``StoreUnavailable``; the shared state
store's into ``StateUnavailable`` (a kind of it), which the gateway survives.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from eligibility_gw.domain.answer import AnswerDraft, AnswerRecord
from eligibility_gw.domain.evidence import CivilRecord, StudentRecord
from eligibility_gw.domain.model import Document, Family, Person, PrivilegeOnFile
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.ports.casework import ConsoleStore, DocumentOnFile
from eligibility_gw.ports.chats import TelegramBindings
from eligibility_gw.ports.languages import LanguagePreferences
from eligibility_gw.ports.messages import SmsRecords
from eligibility_gw.ports.reminders import ReminderRecords
from eligibility_gw.ports.uploads import UploadFiles, UploadRecords


class StoreUnavailable(Exception):
    """A store could not answer: its file, server, pool or network failed, or it timed out.

    ``problem`` says which, in a few words that never carry personal data (logged as is).
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class RegistryRow:
    """One validated person row of a registry import."""

    national_id: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    phone: str | None
    relationship: str
    principal_id: str | None
    cover_start: date | None
    cover_end: date | None
    marital_status: str | None
    student_until: date | None
    birth_certificate_seen: bool | None
    disabled: bool | None
    has_income: bool | None
    other_insurer: str | None
    #: Keep the phone on file (a correction made at the console stands against the file):
    #: ``phone`` is still what the registry file says, kept as the registry's number.
    keep_phone: bool = False
    #: The insured category's code as the pack writes it (``07``), or None.
    category: str | None = None
    #: Privileges on file for the person, replacing those of the last import.
    privileges: tuple[PrivilegeOnFile, ...] = ()
    #: The registry's other documents (kinds without a column of their own: a referral with
    #: its issue date, a disability certificate), replacing those of the last import.
    documents: tuple[Document, ...] = ()


@dataclass(frozen=True, slots=True)
class PhoneCorrection:
    """A phone corrected at the console that is on file now, and what the registry said."""

    phone: str
    #: The number the registry file gave at the last import (None when not known).
    registry_phone: str | None
    corrected_by: str
    corrected_at: datetime


@dataclass(frozen=True, slots=True)
class CorrectionsOnFile:
    """What was corrected at a branch or by the hotline about one person, on file now.

    An import compares each row with these before writing it: a correction the registry
    file has not caught up with is kept, and the disagreement reported.
    """

    national_id: str
    #: The phone corrected at the console, while it is the number on file and differs from
    #: the registry's.
    phone: PhoneCorrection | None = None
    #: Documents recorded at a branch (source ``branch``), oldest first.
    documents: tuple[DocumentOnFile, ...] = ()


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What ``audit verify`` found."""

    rows: int
    first_bad_seq: int | None = None
    problem: str | None = None
    #: The hash of the row at each size ``verify(at=…)`` asked about, for the sizes the
    #: intact part of the chain reaches (a checkpoint's size beyond it is missing).
    hashes: Mapping[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Say whether every row's hash matched."""
        return self.first_bad_seq is None


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The answer log's size and its newest row's hash: what a checkpoint signs."""

    size: int
    #: ``domain.answer.GENESIS_HASH`` while the log is empty.
    row_hash: str


class Registry(Protocol):
    """Where persons, families, cover periods and documents are read and written."""

    async def find_family(self, national_id: str) -> Family | None:
        """The family the person belongs to, or None when nobody has that id."""

    async def people_by_phone(self, phone: str) -> list[Person]:
        """Everyone whose registered phone is ``phone`` (E.164)."""

    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        """Which of these ids are principals in the store."""

    async def upsert_rows(self, rows: Sequence[RegistryRow]) -> None:
        """Insert or update persons with their cover period and documents, atomically."""

    async def count_people(self) -> int:
        """How many persons the registry holds."""

    async def corrections(self, national_ids: Sequence[str]) -> dict[str, CorrectionsOnFile]:
        """Corrections on file for these persons (only those who have any), by national id."""

    async def people_named(
        self, family_name: str, birth_date: date, limit: int = 20
    ) -> list[Person]:
        """Persons born on ``birth_date`` whose family name reads as ``family_name``.

        Names compare by ``domain.names.name_key``: case, diacritics, Arabic and Persian
        letter forms, spaces and joiners do not matter. At most ``limit``, by family order.
        """


class RegistryLoad(Protocol):
    """One import's writes, seen by others all at once when the load ends."""

    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        """Which of these ids (none written by this load) are principals in the store."""

    async def corrections(self, national_ids: Sequence[str]) -> dict[str, CorrectionsOnFile]:
        """Corrections on file for these persons, as this load sees the store."""

    async def write(self, rows: Sequence[RegistryRow]) -> None:
        """Add rows to the load: a national id once per load, a dependent after its principal.

        The effect, once committed, is that of ``Registry.upsert_rows`` on each batch in turn.
        """


@runtime_checkable
class BulkLoading(Protocol):
    """A registry that takes a whole import in one transaction, faster than batch upserts."""

    def load(self) -> AbstractAsyncContextManager[RegistryLoad]:
        """Begin a load: committed when the block ends, rolled back when it raises."""


class AnswerLog(Protocol):
    """The append-only, hash-chained log of every answer given."""

    async def append(self, draft: AnswerDraft) -> AnswerRecord:
        """Give the answer a unique tracking code and make it durable before returning."""

    def queued(self) -> int:
        """Answers waiting to be written (for load shedding)."""

    async def find(self, code: TrackingCode) -> AnswerRecord | None:
        """The answer recorded under ``code``."""

    async def history(self, national_id: str, limit: int = 50) -> list[AnswerRecord]:
        """The latest answers about one person, newest first."""

    async def verify(self, at: Sequence[int] = ()) -> ChainReport:
        """Check every row's hash and link; name the first bad row.

        ``at``: sizes whose row hashes the report keeps (``ChainReport.hashes``), to be
        compared with signed checkpoints.
        """

    async def head(self) -> ChainHead:
        """The number of rows and the newest row's hash, as committed now."""

    async def by_asker(
        self,
        asker_kind: str,
        asker_id: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AnswerRecord]:
        """One asker's answers, newest first, created in ``[since, until)``."""


@dataclass(frozen=True, slots=True)
class ProviderFeedRow:
    """One establishment of a provider registry feed (the CNES), validated."""

    provider_id: str
    name: str
    kind: ProviderKind
    phone: str | None
    #: When the establishment last sent its data.
    last_updated: date


class FeedOutcome(enum.StrEnum):
    """What a feed row did to the provider it names."""

    CREATED = "created"
    UPDATED = "updated"
    #: Updated, and found stale before: active again.
    REACTIVATED = "reactivated"
    #: The row is older than the data on file: nothing changed.
    OLDER = "older"


class Providers(Protocol):
    """Registered providers and their API keys (stored only as hashes)."""

    async def feed(self, row: ProviderFeedRow, key_hash: str) -> tuple[Provider, FeedOutcome]:
        """Upsert a provider from the registry feed.

        A new provider is registered with ``key_hash`` (active); a known one takes the
        row's name, kind, phone and date unless the row is older than its data on file, and
        is no longer stale. A deactivation made by hand stands.
        """

    async def mark_stale(self, provider_ids: Sequence[str], day: date) -> int:
        """Record that these providers were found stale on ``day`` (those not marked yet);
        how many were marked now."""

    async def add(
        self, provider_id: str, name: str, kind: ProviderKind, phone: str | None, key_hash: str
    ) -> Provider:
        """Register a provider; raise ``ValueError`` when the id is taken."""

    async def get(self, provider_id: str) -> Provider | None:
        """One provider by id."""

    async def by_key_hash(self, key_hash: str) -> Provider | None:
        """The provider whose API key hashes to ``key_hash``."""

    async def by_phone(self, phone: str) -> Provider | None:
        """The provider a phone is registered to."""

    async def set_active(self, provider_id: str, active: bool) -> Provider | None:
        """Activate or deactivate; None when there is no such provider."""

    async def list(self) -> list[Provider]:
        """Every provider, by id."""


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """The results of one batch inquiry, as answered."""

    batch_id: str
    provider_id: str
    created_at: datetime
    item_count: int
    results_json: str


class Batches(Protocol):
    """Batch inquiry results kept for download by the provider that sent them."""

    async def save(self, batch: StoredBatch) -> None:
        """Keep a batch's results."""

    async def get(self, batch_id: str, provider_id: str) -> StoredBatch | None:
        """A batch, only for the provider that sent it."""


class Store(Protocol):
    """One backing store: every port the gateway keeps, over one database handle or pool."""

    @property
    def registry(self) -> Registry:
        """Persons and families."""

    @property
    def answers(self) -> AnswerLog:
        """The answer log."""

    @property
    def providers(self) -> Providers:
        """Registered providers."""

    @property
    def batches(self) -> Batches:
        """Stored batch results."""

    @property
    def sms(self) -> SmsRecords:
        """Outbound SMS, delivery statuses and reports of unasked checks."""

    @property
    def chats(self) -> TelegramBindings:
        """Which phone each chat proved."""

    @property
    def languages(self) -> LanguagePreferences:
        """The language each phone chose."""

    @property
    def casework(self) -> ConsoleStore:
        """Staff, disputes, corrections and the access log of the call centre."""

    @property
    def reminders(self) -> ReminderRecords:
        """Reminders sent before cover ends, and the registry read family by family."""

    @property
    def uploads(self) -> UploadRecords:
        """Documents sent from a phone: the review queue."""

    @property
    def upload_files(self) -> UploadFiles:
        """The files of uploads, when kept in the store itself."""

    async def ping(self) -> bool:
        """Say whether the store answers."""

    async def close(self) -> None:
        """Release connections; flush pending writes."""


class StateUnavailable(StoreUnavailable):
    """The shared state store (Redis) could not answer: down, slow past its deadline, erroring.

    A kind of ``StoreUnavailable``, so that a caller that meets one where no fallback catches
    it still answers "unavailable" in its medium; but the gateway wraps the shared store in
    ``eligibility_gw.state.DegradingKeyValueStore``, which catches it and keeps answering
    from this process's own state: channels never see it.

    ``certain`` is False when the store may well be up (one call past its deadline while
    many connections open at once, an error reply to one command): then a probe decides.
    """

    def __init__(self, problem: str, certain: bool = True) -> None:
        super().__init__(problem)
        self.certain = certain


class KeyValueStore(Protocol):
    """Short-lived shared state with expiry (in memory, or Redis for several processes).

    What it holds are conveniences, never facts: sessions, de-duplication keys, rate
    counters. Losing them costs a caller a "start again", never an answer.
    """

    async def get(self, key: str) -> str | None:
        """The value, or None when absent or expired."""

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Store a value for ``ttl`` seconds."""

    async def set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        """Store only if absent; say whether it was stored (atomic)."""

    async def incr(self, key: str, ttl: float) -> int:
        """Add one (from 0 when absent, then expiring after ``ttl``); return the new count."""

    async def delete(self, key: str) -> None:
        """Remove a key."""

    async def close(self) -> None:
        """Release connections."""


class SharedKeyValueStore(KeyValueStore, Protocol):
    """A ``KeyValueStore`` another process keeps (Redis): each call may fail.

    Every method raises ``StateUnavailable`` when the store cannot answer within its
    deadline, and only that.
    """

    async def ping(self) -> None:
        """Return when the store answers; ``StateUnavailable`` when it does not."""

    async def probe(self) -> None:
        """Check that the store answers, on a connection of its own (waiting for none that
        calls hold) and within a longer bound than a call's; ``StateUnavailable`` if not."""

    async def reconnect(self) -> None:
        """Drop the idle connections held from before a failure (the server may have
        restarted and closed them): calls open new ones."""

    async def set_many_if_absent(self, items: Sequence[tuple[str, str, float]]) -> None:
        """Store each ``(key, value, ttl)`` whose key is absent, in as few round trips as may be.

        Not atomic as a whole: each key is set or left alone on its own.
        """


class LocalKeyValueStore(KeyValueStore, Protocol):
    """A ``KeyValueStore`` in this process, whose keys can be listed and handed on."""

    def __len__(self) -> int:
        """Keys held now."""

    def live_items(self) -> list[tuple[str, str, float]]:
        """Every live ``(key, value, seconds left)``."""

    def forget(self, items: Sequence[tuple[str, str, float]]) -> None:
        """Drop each listed key that still holds the listed value (not one rewritten since)."""


class EvidenceUnavailable(Exception):
    """A live evidence registry could not answer: down, slow, erroring or malformed.

    ``problem`` says which, in a few words that never carry personal data (logged as is).
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class StudentRegistry(Protocol):
    """The registry of certificates of study (a ministry of science, a school inspectorate)."""

    async def certificates(self, national_id: str, day: date) -> StudentRecord:
        """The person's certificates as the registry holds them when asked about ``day``.

        Raise ``EvidenceUnavailable`` when the registry cannot answer.
        """


class CivilRegistry(Protocol):
    """The civil registry: births and marriages."""

    async def civil_record(self, national_id: str, day: date) -> CivilRecord:
        """The person's registered birth and marital status as of ``day``.

        Raise ``EvidenceUnavailable`` when the registry cannot answer.
        """
