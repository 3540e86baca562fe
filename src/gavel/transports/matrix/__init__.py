"""Matrix rooms as a transport of the same core: /sync -> events (protocol), requests (connection)."""
