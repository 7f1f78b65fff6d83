"""Stores and registries behind the core's small interfaces (``eligibility_gw.ports``)."""
