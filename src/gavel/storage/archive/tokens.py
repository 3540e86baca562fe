"""The one tokenizer of the full-text index, for both backends and for queries.

Neither FTS5's nor PostgreSQL's own parser sees the text: both index the tokens made here (SQLite as a
space-separated token string under FTS5's ``ascii`` tokenizer, PostgreSQL as a ``tsvector`` literal), and a
query's words are tokenized by the same function, so both backends find the same lines.

A text is split into *words*: runs of letters, digits and ``_``; everything else separates (so the words
inside a URL, a path, an e-mail address or HTML-like text are words of their own: ``.../+bug/1000085``
holds ``1000085``, ``<script>`` holds ``script``). Diacritics are removed (NFKD, combining marks dropped) and
case is folded (``str.casefold``): ``Café`` and ``CAFE`` are both ``cafe``, ``ß`` is ``ss``.

An identifier is split into its parts, at ``_`` and at case changes (``getUserName``, ``get_user_name``,
``HTTPServer`` -> ``http server``), and its whole form, the parts joined, is indexed too, first: ``snake_case``
gives the tokens ``snakecase snake case``. So ``snake_case``, ``snakeCase``, ``snakecase`` and the phrase
"snake case" all find it. A token is at most ``MAX_TOKEN`` characters (longer ones are cut).
"""

from __future__ import annotations

import re
import unicodedata

MAX_TOKEN = 64
TOKENIZER_VERSION = 1  # bump when tokens change: the index must then be rebuilt (a migration)

_WORD = re.compile(r"\w+")
_PART = re.compile(r"[^\W_]+")
# a case change inside an ASCII word ("getUser", "ipv6Address", "HTTPServer"): the word has parts
_CASE_CHANGE = re.compile(r"[a-z0-9][A-Z]|[A-Z][A-Z][a-z]")
# ASCII letters lower-cased, digits kept, every other ASCII character a space
_ASCII_SPLIT = "".join(chr(c).lower() if chr(c).isalnum() else " " for c in range(128))


def tokens(text: str) -> list[str]:
    """The index tokens of ``text``, in order (see the module's description)."""
    if text.isascii() and "_" not in text and (text.islower() or not _CASE_CHANGE.search(text)):
        # fast path: no word has parts, so the tokens are the runs of letters and digits, lower-cased
        found = text.translate(_ASCII_SPLIT).split()
        if len(text) > MAX_TOKEN and max(map(len, found), default=0) > MAX_TOKEN:
            return [token[:MAX_TOKEN] for token in found]
        return found
    out: list[str] = []
    for word in _WORD.findall(strip_marks(text)):
        if word.isascii() and word.isalnum() and (word.islower() or word.isupper() or word[1:].islower()):
            out.append(word.lower()[:MAX_TOKEN])  # a plain ASCII word, one part
        else:
            out.extend(word_tokens(word))
    return out


def reference_tokens(text: str) -> list[str]:
    """:func:`tokens` without its fast path for plain ASCII text (the definition; a test holds them equal)."""
    out: list[str] = []
    for word in _WORD.findall(strip_marks(text)):
        out.extend(word_tokens(word))
    return out


def word_tokens(word: str, whole: bool = True) -> list[str]:
    """The tokens of one word (a run of letters, digits and ``_``): its whole form when it has several parts
    (and ``whole``), then its parts."""
    parts = [_fold(part) for piece in _PART.findall(word) for part in _camel_parts(piece)]
    parts = [token for part in parts for token in _PART.findall(part)]  # folding may have made separators
    if whole and len(parts) > 1:
        return ["".join(parts)[:MAX_TOKEN], *(part[:MAX_TOKEN] for part in parts)]
    return [part[:MAX_TOKEN] for part in parts]


def words(text: str) -> list[str]:
    """The words of ``text`` (runs of letters, digits and ``_``, diacritics removed, case kept)."""
    return _WORD.findall(strip_marks(text))


def strip_marks(text: str) -> str:
    """``text`` decomposed (NFKD) without its combining marks."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _fold(part: str) -> str:
    folded = part.casefold()
    return folded if folded.isascii() else strip_marks(folded)


def _camel_parts(piece: str) -> list[str]:
    """``piece`` (letters and digits) split where its case changes."""
    if piece.islower() or piece.isupper() or piece[1:].islower() or not piece[1:]:
        return [piece]  # no case change inside (the first letter may be a capital)
    parts: list[str] = []
    start = 0
    for i in range(1, len(piece)):
        prev, cur = piece[i - 1], piece[i]
        if not cur.isupper():
            continue
        following = piece[i + 1] if i + 1 < len(piece) else ""
        if prev.islower() or prev.isdigit() or (prev.isupper() and following.islower()):
            parts.append(piece[start:i])
            start = i
    parts.append(piece[start:])
    return parts


def token_text(text: str) -> str:
    """The tokens of ``text`` joined by spaces: what SQLite's FTS5 (``ascii`` tokenizer) indexes."""
    return " ".join(tokens(text))


def tsvector_literal(text: str) -> str:
    """The tokens of ``text`` as a PostgreSQL ``tsvector`` literal with positions (1-based; PostgreSQL keeps
    positions up to 16,383 and at most 256 of them per lexeme)."""
    positions: dict[str, list[int]] = {}
    for index, token in enumerate(tokens(text), 1):
        positions.setdefault(token, []).append(min(index, 16_383))
    return " ".join(f"{quote_lexeme(token)}:{','.join(map(str, spots[:256]))}" for token, spots in positions.items())


def quote_lexeme(token: str) -> str:
    """A lexeme quoted for a ``tsvector``/``tsquery`` literal."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"
