"""Storage: the MeetBot output tree, later the journal and the archive."""
