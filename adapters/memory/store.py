"""The ``memory://`` store: every port the gateway keeps, in the process's memory.

For trying the gateway without a file and for fast tests of the channels and the core: the
same contract suites run on it as on SQLite and PostgreSQL. Nothing outlives the process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from eligibility_gw.adapters.chain import ChainWalk
from eligibility_gw.adapters.codes import fresh_codes_now
from eligibility_gw.adapters.groupcommit import GroupCommitter
from eligibility_gw.adapters.memory.casework import MemoryConsoleStore
from eligibility_gw.adapters.memory.chats import MemoryTelegramBindings
from eligibility_gw.adapters.memory.languages import MemoryLanguagePreferences
from eligibility_gw.adapters.memory.messages import MemorySmsRecords
from eligibility_gw.adapters.memory.reminders import MemoryReminderRecords
from eligibility_gw.adapters.memory.uploads import MemoryUploadFiles, MemoryUploadRecords
from eligibility_gw.domain.answer import (
    GENESIS_HASH,
    AnswerDraft,
    AnswerRecord,
    link,
)
from eligibility_gw.domain.model import (
    CoverPeriod,
    Document,
    Family,
    MaritalStatus,
    Person,
    Sex,
)
from eligibility_gw.domain.names import name_key
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.ports import (
    ChainHead,
    ChainReport,
    CorrectionsOnFile,
    FeedOutcome,
    PhoneCorrection,
    ProviderFeedRow,
    RegistryRow,
    StoredBatch,
)
from eligibility_gw.ports.casework import DocumentOnFile


@dataclass(slots=True)
class _Entry:
    """One person as the memory registry keeps them."""

    row: RegistryRow
    position: int
    phone: str | None
    periods: dict[str, CoverPeriod] = field(default_factory=dict)
    documents: list[DocumentOnFile] = field(default_factory=list)
    #: Who corrected the phone at the console and when (the latest correction), if anyone.
    corrected: tuple[str, datetime] | None = None


class MemoryRegistry:
    """Persons, families, cover periods and documents in a dict."""

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}
        self._position = 0

    def _person(self, entry: _Entry) -> Person:
        r = entry.row
        return Person(
            national_id=r.national_id,
            given_name=r.given_name,
            family_name=r.family_name,
            birth_date=r.birth_date,
            sex=Sex(r.sex) if r.sex else None,
            phone=entry.phone,
            relationship=r.relationship,
            principal_id=r.principal_id,
            marital_status=MaritalStatus(r.marital_status) if r.marital_status else None,
            disabled=r.disabled,
            has_income=r.has_income,
            other_insurer=r.other_insurer,
            cover_periods=tuple(sorted(entry.periods.values(), key=lambda p: p.start))
            if r.principal_id is None
            else (),
            documents=tuple(
                Document(d.kind, d.valid_from, d.valid_until, d.source) for d in entry.documents
            ),
            category=r.category,
            privileges=r.privileges,
        )

    async def find_family(self, national_id: str) -> Family | None:
        """The family ``national_id`` belongs to."""
        entry = self.entries.get(national_id)
        if entry is None:
            return None
        head = self.entries.get(entry.row.principal_id or national_id)
        if head is None or head.row.principal_id is not None:
            return None
        head_id = head.row.national_id
        dependents = sorted(
            (e for e in self.entries.values() if e.row.principal_id == head_id),
            key=lambda e: (e.position, e.row.national_id),
        )
        return Family(self._person(head), tuple(self._person(e) for e in dependents))

    async def people_by_phone(self, phone: str) -> list[Person]:
        """Everyone whose registered phone is ``phone``."""
        found = sorted(
            (e for e in self.entries.values() if e.phone == phone),
            key=lambda e: (e.position, e.row.national_id),
        )
        return [
            replace(self._person(e), cover_periods=(), documents=(), privileges=()) for e in found
        ]

    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        """Which of ``national_ids`` are principals already stored."""
        return {
            n
            for n in national_ids
            if (e := self.entries.get(n)) is not None and e.row.principal_id is None
        }

    async def upsert_rows(self, rows: Sequence[RegistryRow]) -> None:
        """Insert or update rows; documents recorded at a branch are kept."""
        now = datetime.now(UTC)
        for r in rows:
            entry = self.entries.get(r.national_id)
            if entry is None:
                self._position += 1
                entry = self.entries[r.national_id] = _Entry(r, self._position, r.phone)
            else:
                entry.row = r  # the file's phone is the registry's number (``row.phone``)
                if not r.keep_phone:
                    entry.phone = r.phone
            if r.cover_start is not None and r.cover_end is not None:
                entry.periods[r.cover_start.isoformat()] = CoverPeriod(r.cover_start, r.cover_end)
            # The file replaces the registry's documents; those recorded at a branch stay.
            kept = [d for d in entry.documents if d.source != "registry"]
            registry_docs = [
                d
                for d in entry.documents
                if d.source == "registry" and d.kind in ("student_certificate", "birth_certificate")
            ]
            birth = next((d for d in registry_docs if d.kind == "birth_certificate"), None)
            if r.student_until:
                kept.append(
                    DocumentOnFile(
                        "student_certificate", None, r.student_until, "registry", None, now, None
                    )
                )
            if r.birth_certificate_seen:
                kept.append(
                    birth
                    or DocumentOnFile("birth_certificate", None, None, "registry", None, now, None)
                )
            kept.extend(
                DocumentOnFile(d.kind, d.valid_from, d.valid_until, "registry", None, now, None)
                for d in r.documents
            )
            entry.documents = kept

    async def count_people(self) -> int:
        """How many persons are stored."""
        return len(self.entries)

    def correct_phone(self, national_id: str, phone: str, by: str, at: datetime) -> str | None:
        """Put a phone corrected at the console on file; the phone it replaced (the console
        store's ``correct_phone`` keeps the change log)."""
        entry = self.entries[national_id]
        old, entry.phone, entry.corrected = entry.phone, phone, (by, at)
        return old

    async def corrections(self, national_ids: Sequence[str]) -> dict[str, CorrectionsOnFile]:
        """Phone corrections still on file and documents seen at a branch, by national id."""
        found: dict[str, CorrectionsOnFile] = {}
        for n in sorted(set(national_ids)):
            entry = self.entries.get(n)
            if entry is None:
                continue
            phone = None
            if (
                entry.corrected is not None
                and entry.phone is not None
                and entry.phone != entry.row.phone
            ):
                by, at = entry.corrected
                phone = PhoneCorrection(entry.phone, entry.row.phone, by, at)
            documents = tuple(d for d in entry.documents if d.source == "branch")
            if phone is not None or documents:
                found[n] = CorrectionsOnFile(n, phone, documents)
        return found

    async def people_named(
        self, family_name: str, birth_date: date, limit: int = 20
    ) -> list[Person]:
        """Persons born on ``birth_date`` whose family name reads as ``family_name``."""
        key = name_key(family_name)
        if not key:
            return []
        found = sorted(
            (
                e
                for e in self.entries.values()
                if e.row.birth_date == birth_date and name_key(e.row.family_name) == key
            ),
            key=lambda e: (e.position, e.row.national_id),
        )
        return [
            replace(self._person(e), cover_periods=(), documents=(), privileges=())
            for e in found[:limit]
        ]


class MemoryAnswerLog:
    """The hash-chained answer log in a list (group-committed like the others)."""

    def __init__(self) -> None:
        self.records: list[AnswerRecord] = []
        self._by_code: dict[str, AnswerRecord] = {}
        #: The hash each row was written with (``verify`` recomputes it from the content).
        self._created: dict[int, str] = {}
        self._committer: GroupCommitter[AnswerDraft, AnswerRecord] = GroupCommitter(self._write)

    async def append(self, draft: AnswerDraft) -> AnswerRecord:
        """Give the answer a unique code and keep it."""
        return await self._committer.submit(draft)

    async def drain(self) -> None:
        """Wait until every queued answer is kept."""
        await self._committer.drain()

    def queued(self) -> int:
        """Answers waiting to be written."""
        return self._committer.queued

    async def _write(self, drafts: list[AnswerDraft]) -> list[AnswerRecord]:
        last = self.records[-1] if self.records else None
        seq, prev = (last.seq, last.row_hash) if last else (0, GENESIS_HASH)
        codes = fresh_codes_now(len(drafts), lambda c: {x for x in c if x in self._by_code})
        linked = link(drafts, codes, seq, prev, lambda: datetime.now(UTC))
        for record, payload in linked:
            self.records.append(record)
            self._by_code[record.tracking_code.digits] = record
            self._created[record.seq] = payload["created_at"]
        return [r for r, _ in linked]

    async def find(self, code: TrackingCode) -> AnswerRecord | None:
        """The answer recorded under ``code``."""
        return self._by_code.get(code.digits)

    async def history(self, national_id: str, limit: int = 50) -> list[AnswerRecord]:
        """The latest answers about one person, newest first."""
        found = [r for r in reversed(self.records) if r.draft.national_id == national_id]
        return found[:limit]

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
        found = [
            r
            for r in reversed(self.records)
            if r.draft.asker_kind == asker_kind
            and r.draft.asker_id == asker_id
            and (since is None or r.created_at >= since)
            and (until is None or r.created_at < until)
        ]
        return found[offset : offset + limit]

    async def verify(self, at: Sequence[int] = ()) -> ChainReport:
        """Recompute every row's hash and link, in order (keeping the hashes at ``at``)."""
        walk = ChainWalk(at)
        for record in self.records:
            if (bad := walk.record(record, self._created[record.seq])) is not None:
                return bad
        return walk.report()

    async def head(self) -> ChainHead:
        """The newest row's number and hash."""
        if not self.records:
            return ChainHead(0, GENESIS_HASH)
        last = self.records[-1]
        return ChainHead(last.seq, last.row_hash)


@dataclass(slots=True)
class _ProviderEntry:
    provider: Provider
    key_hash: str


class MemoryProviders:
    """Registered providers in a dict."""

    def __init__(self) -> None:
        self._by_id: dict[str, _ProviderEntry] = {}

    async def add(
        self, provider_id: str, name: str, kind: ProviderKind, phone: str | None, key_hash: str
    ) -> Provider:
        """Register a provider; ``ValueError`` when the id is taken."""
        if provider_id in self._by_id:
            raise ValueError(f"provider {provider_id!r} exists already")
        provider = Provider(provider_id, name, kind, phone, True, datetime.now(UTC))
        self._by_id[provider_id] = _ProviderEntry(provider, key_hash)
        return provider

    async def get(self, provider_id: str) -> Provider | None:
        """One provider by id."""
        entry = self._by_id.get(provider_id)
        return entry.provider if entry else None

    async def by_key_hash(self, key_hash: str) -> Provider | None:
        """The provider whose key hashes to ``key_hash``."""
        return next((e.provider for e in self._by_id.values() if e.key_hash == key_hash), None)

    async def by_phone(self, phone: str) -> Provider | None:
        """The provider a phone is registered to."""
        found = sorted(
            (e.provider for e in self._by_id.values() if e.provider.phone == phone),
            key=lambda p: p.provider_id,
        )
        return found[0] if found else None

    async def set_active(self, provider_id: str, active: bool) -> Provider | None:
        """Activate or deactivate a provider."""
        entry = self._by_id.get(provider_id)
        if entry is None:
            return None
        entry.provider = replace(entry.provider, active=active, status_changed_at=datetime.now(UTC))
        return entry.provider

    async def feed(self, row: ProviderFeedRow, key_hash: str) -> tuple[Provider, FeedOutcome]:
        """Upsert a provider from the registry feed (see ``ports.Providers.feed``)."""
        entry = self._by_id.get(row.provider_id)
        if entry is None:
            provider = Provider(
                row.provider_id,
                row.name,
                row.kind,
                row.phone,
                True,
                datetime.now(UTC),
                last_updated=row.last_updated,
            )
            self._by_id[row.provider_id] = _ProviderEntry(provider, key_hash)
            return provider, FeedOutcome.CREATED
        held = entry.provider
        if held.last_updated is not None and held.last_updated > row.last_updated:
            return held, FeedOutcome.OLDER
        entry.provider = replace(
            held,
            name=row.name,
            kind=row.kind,
            phone=row.phone,
            last_updated=row.last_updated,
            stale_since=None,
        )
        outcome = FeedOutcome.UPDATED if held.stale_since is None else FeedOutcome.REACTIVATED
        return entry.provider, outcome

    async def mark_stale(self, provider_ids: Sequence[str], day: date) -> int:
        """Record the day these providers were found stale (those not marked yet)."""
        changed = 0
        for pid in provider_ids:
            entry = self._by_id.get(pid)
            if entry is not None and entry.provider.stale_since is None:
                entry.provider = replace(entry.provider, stale_since=day)
                changed += 1
        return changed

    async def list(self) -> list[Provider]:
        """Every provider by id."""
        return [self._by_id[k].provider for k in sorted(self._by_id)]


class MemoryBatches:
    """Stored batch results in a dict."""

    def __init__(self) -> None:
        self._batches: dict[str, StoredBatch] = {}

    async def save(self, batch: StoredBatch) -> None:
        """Keep a batch's results."""
        self._batches[batch.batch_id] = batch

    async def get(self, batch_id: str, provider_id: str) -> StoredBatch | None:
        """A batch, only for the provider that sent it."""
        batch = self._batches.get(batch_id)
        return batch if batch is not None and batch.provider_id == provider_id else None


class MemoryStore:
    """The memory implementation of ``eligibility_gw.ports.Store``."""

    def __init__(self) -> None:
        self.registry = MemoryRegistry()
        self.answers = MemoryAnswerLog()
        self.providers = MemoryProviders()
        self.batches = MemoryBatches()
        self.sms = MemorySmsRecords()
        self.chats = MemoryTelegramBindings()
        self.languages = MemoryLanguagePreferences()
        self.casework = MemoryConsoleStore(self.registry, self.answers, self.sms)
        self.reminders = MemoryReminderRecords(self.registry)
        self.uploads = MemoryUploadRecords()
        self.upload_files = MemoryUploadFiles()

    async def ping(self) -> bool:
        """Memory always answers."""
        return True

    async def close(self) -> None:
        """Write what is queued; nothing else to release."""
        await self.answers.drain()
