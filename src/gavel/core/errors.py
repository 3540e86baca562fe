"""One exception family for all of gavel."""


class GavelError(Exception):
    """Root of every error gavel raises on purpose."""


class OutputPathError(GavelError):
    """An output path would leave the output directory."""
