"""The pure core: model, rule packs, decisions, identifiers. No I/O, no asyncio, no aiohttp."""
