"""Signed checkpoints of the answer log: what was answered can be shown never to vanish.

The transparency-log idea (Certificate Transparency, Go's checksum database): the gateway
signs, now and then, a *checkpoint* of its answer log (its origin, its number of rows and its
newest row's hash) as a C2SP signed note (``notes``, ``checkpoints``). Whoever keeps a copy
where the gateway's operators cannot rewrite it (a witness, the insurer's own archive) can
later show that no row up to that size was removed or rewritten: ``audit verify
--checkpoints DIR`` recomputes the chain and compares (``verify``). ``serve`` writes one
every ``[audit] checkpoint_seconds`` and can post it to a witness (``writer``).
"""
