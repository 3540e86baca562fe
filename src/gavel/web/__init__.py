"""The archive's web UI and JSON API (``gavel serve``) and its static export (``gavel export``)."""
