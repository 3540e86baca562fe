"""Delivery of ended meetings' minutes: mail and webhooks, through a crash-safe outbox.

``compose`` turns a written meeting into ``Delivery`` records (pure: the mail message and the webhook body, whole);
``outbox`` keeps each record as one file, written atomically and fsync'd before it is tried; ``send`` moves one
record (smtplib in a thread, aiohttp); ``courier`` runs one asyncio task per record, retrying with backoff until
the receiver takes it, then removes its file. Delivery is at least once: every repeat carries the meeting's id.
"""
