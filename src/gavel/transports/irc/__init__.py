"""IRC transport: a sans-I/O client protocol (protocol.py) under a thin asyncio connection (connection.py)."""
