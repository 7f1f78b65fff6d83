"""In-process adapters: the ``memory://`` store and the in-memory short-lived state."""
