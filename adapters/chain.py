"""The answer log's chain, walked once for every store: the first bad row, and the hashes at
the sizes a checkpoint names."""

from __future__ import annotations

from collections.abc import Sequence

from eligibility_gw.adapters import rows
from eligibility_gw.domain.answer import GENESIS_HASH, AnswerRecord, chain_hash, chain_payload
from eligibility_gw.ports import ChainReport


class ChainWalk:
    """Feed the log's rows in order; it says at the first one that breaks the chain.

    A row is missing when its number skips one, unreadable when no answer can hold its
    content (a status, JSON, a date edited by hand), unlinked when it does not name the
    previous row's hash, and altered when its content does not hash to its own hash.
    """

    def __init__(self, at: Sequence[int] = ()) -> None:
        self._wanted = set(at)
        self.hashes: dict[int, str] = {0: GENESIS_HASH} if 0 in self._wanted else {}
        #: The hash of the last good row (the genesis hash before the first).
        self.prev = GENESIS_HASH
        #: Rows fed so far.
        self.count = 0

    def row(self, row: rows.Row) -> ChainReport | None:
        """Check one row of ``rows.LOG_COLUMNS``; a report when it breaks the chain."""
        self.count += 1
        expected = self.count
        if int(row[0]) != expected:
            return self._bad(expected, f"row {expected} is missing")
        try:
            record = rows.record(row)
        except (ValueError, TypeError, KeyError, AttributeError):
            return self._bad(int(row[0]), "row content cannot be read")
        return self._check(record, str(row[2]))

    def record(self, record: AnswerRecord, created_at: str) -> ChainReport | None:
        """Check one answer as a store keeps it, with its creation instant as hashed."""
        self.count += 1
        if record.seq != self.count:
            return self._bad(self.count, f"row {self.count} is missing")
        return self._check(record, created_at)

    def _check(self, record: AnswerRecord, created_at: str) -> ChainReport | None:
        if record.prev_hash != self.prev:
            return self._bad(record.seq, "link to the previous row is broken")
        payload = chain_payload(record.seq, record.tracking_code.digits, created_at, record.draft)
        if chain_hash(self.prev, payload) != record.row_hash:
            return self._bad(record.seq, "row content does not match its hash")
        self.prev = record.row_hash
        if record.seq in self._wanted:
            self.hashes[record.seq] = self.prev
        return None

    def _bad(self, seq: int, problem: str) -> ChainReport:
        return ChainReport(self.count, seq, problem, self.hashes)

    def report(self) -> ChainReport:
        """The chain walked to its end: intact."""
        return ChainReport(self.count, hashes=self.hashes)
