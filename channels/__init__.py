"""Channels: one folder per transport, translating it to and from the core."""
