"""The central office side: receiver, storage (SQLite or PostgreSQL), device registry, export and status updates."""
