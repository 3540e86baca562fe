"""gavel: a fast, trustworthy successor to MeetBot."""

__version__ = "0.1.0"
