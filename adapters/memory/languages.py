"""Language preferences in the process (the ``memory://`` store, and tests)."""

from __future__ import annotations

from eligibility_gw.ports.languages import LanguagePreference


class MemoryLanguagePreferences:
    """Preferences in the process."""

    def __init__(self) -> None:
        self._by_phone: dict[str, LanguagePreference] = {}

    async def get(self, phone: str) -> LanguagePreference | None:
        """The phone's preference."""
        return self._by_phone.get(phone)

    async def set(self, preference: LanguagePreference) -> None:
        """Keep the preference."""
        self._by_phone[preference.phone] = preference

    async def forget(self, phone: str) -> bool:
        """Remove the preference."""
        return self._by_phone.pop(phone, None) is not None

    async def close(self) -> None:
        """Nothing to release."""
