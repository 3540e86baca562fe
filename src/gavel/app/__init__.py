"""The application layer: replay, import, the live bot and recovery, wired through one effect executor.

It sits above every other package (core, render, transports, storage, web) and is the only one that
may import them all; import-linter checks the layers (``[tool.importlinter]`` in pyproject.toml).
"""
