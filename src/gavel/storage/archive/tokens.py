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
from collections.abc import Callable
from itertools import chain

MAX_TOKEN = 64
MAX_LENGTH = 255  # longer texts rank as if they were this long
LENGTH_MARK = "\ue000"
MEMO_CHUNKS = 50_000  # chunks whose tokens a ChunkTokens remembers (~250 bytes each: ~12 MB)
TOKENIZER_VERSION = 1  # bump when tokens change: the index must then be rebuilt (a migration)

_WORD = re.compile(r"\w+")
_PART = re.compile(r"[^\W_]+")
# a case change inside an ASCII word ("getUser", "ipv6Address", "HTTPServer"): the word has parts
_CASE_CHANGE = re.compile(r"[a-z0-9][A-Z]|[A-Z][A-Z][a-z]")
_USUAL_MARKS = re.compile("[\u0300-\u036f]+")  # the block of combining diacritical marks (most marks in text)
ODD_MARK = "\u034f"  # in the block of combining marks, of combining class 0 (see ChunkTokens)
_NON_ASCII = re.compile("[^\x00-\x7f]")
_NON_ASCII_RUN = re.compile("[^\x00-\x7f]+")
# ASCII letters lower-cased, digits kept, every other ASCII character a space
_ASCII_SPLIT = "".join(chr(c).lower() if chr(c).isalnum() else " " for c in range(128))


def tokens(text: str) -> list[str]:
    """The index tokens of ``text``, in order (see the module's description)."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        if any(map(str.isalnum, set(_NON_ASCII.findall(decomposed)))):  # letters or digits beyond ASCII
            return [token for word in _WORD.findall(strip_marks(text)) for token in _word_tokens_fast(word)]
        # most text in Latin scripts: ASCII once its marks are gone and its symbols (dashes, emoji) are spaces
        text = _NON_ASCII_RUN.sub(_without_marks, decomposed)
    if "_" not in text and (text.islower() or not _CASE_CHANGE.search(text)):
        # no word has parts: the tokens are the runs of letters and digits, lower-cased
        found = text.translate(_ASCII_SPLIT).split()
        if len(text) > MAX_TOKEN and max(map(len, found), default=0) > MAX_TOKEN:
            return [token[:MAX_TOKEN] for token in found]
        return found
    return [token for word in _WORD.findall(text) for token in _word_tokens_fast(word)]


def _without_marks(run: re.Match[str]) -> str:
    """A run of non-ASCII characters that are not letters or digits: nothing if all are combining marks (the
    word goes on), else a space (they separate words)."""
    return "" if all(map(unicodedata.combining, run.group())) else " "


class ChunkTokens(dict[str, list[str]]):
    """:func:`tokens` of text after text, remembering the tokens of each chunk (a run of characters between
    whitespace): a meeting says the same words again and again, so most chunks are looked up, not tokenized.

    ``memo(text) == tokens(text)`` (a test holds them equal): whitespace never is a word character and NFKD
    never joins characters across it, so a text's tokens are its chunks' tokens one after the other. Except
    where :func:`tokens` differs from :func:`reference_tokens`: U+034F (a mark of combining class 0) joins
    letters when the text has letters beyond ASCII and separates them otherwise, so such a text is tokenized
    whole. At most ``limit`` chunks are remembered (then all are forgotten, and again)."""

    def __init__(self, limit: int = MEMO_CHUNKS) -> None:
        super().__init__()
        self.limit = limit

    def __missing__(self, chunk: str) -> list[str]:
        if len(self) >= self.limit:
            self.clear()
        found = self[chunk] = tokens(chunk)
        return found

    def __call__(self, text: str) -> list[str]:
        if text.isascii() or ODD_MARK in text:
            return tokens(text)  # (ASCII text: its fast path is as fast as looking up its chunks)
        return list(chain.from_iterable(map(self.__getitem__, text.split())))


def _word_tokens_fast(word: str) -> list[str]:
    """:func:`word_tokens` with a shortcut for a word of one part."""
    if word.isalnum() and (word.islower() or word.isupper() or word[1:].islower()) and word.isascii():
        return [word.lower()[:MAX_TOKEN]]
    return word_tokens(word)


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
    decomposed = _USUAL_MARKS.sub("", unicodedata.normalize("NFKD", text))
    if any(map(unicodedata.combining, _NON_ASCII.findall(decomposed))):
        return "".join(char for char in decomposed if not unicodedata.combining(char))
    return decomposed


def _fold(part: str) -> str:
    folded = part.casefold()
    return folded if folded.isascii() else strip_marks(folded)


def _capital(char: str) -> bool:
    """A capital letter that case folding changes: Cherokee's capitals, which fold to themselves (their small
    letters fold to them), start no part, so a folded token is a token of itself."""
    return char.isupper() and char.casefold() != char


def _camel_parts(piece: str) -> list[str]:
    """``piece`` (letters and digits) split where its case changes."""
    if piece.islower() or piece.isupper() or piece[1:].islower() or not piece[1:]:
        return [piece]  # no case change inside (the first letter may be a capital)
    parts: list[str] = []
    start = 0
    for i in range(1, len(piece)):
        prev, cur = piece[i - 1], piece[i]
        if not _capital(cur):
            continue
        following = piece[i + 1] if i + 1 < len(piece) else ""
        if prev.islower() or prev.isdigit() or (_capital(prev) and following.islower()):
            parts.append(piece[start:i])
            start = i
    parts.append(piece[start:])
    return parts


def token_text(text: str) -> str:
    """The tokens of ``text`` joined by spaces."""
    return " ".join(tokens(text))


def length(found: list[str]) -> int:
    """A text's length for ranking: its number of tokens, at most ``MAX_LENGTH``."""
    return min(len(found), MAX_LENGTH)


def length_token(size: int) -> str:
    """The token that SQLite's index holds, after a text's own, for the text's :func:`length`: a private-use
    character then the number, which no text's token can be (private-use characters are not word characters)."""
    return f"{LENGTH_MARK}{size}"


def index_text(text: str, tokenize: Callable[[str], list[str]] = tokens) -> str:
    """What SQLite's FTS5 (``ascii`` tokenizer) indexes for ``text``: its tokens, then its length token;
    ``tokenize``: :func:`tokens` or what equals it (a :class:`ChunkTokens`)."""
    return indexed_text(text, tokenize)[0]


def indexed_text(text: str, tokenize: Callable[[str], list[str]] = tokens) -> tuple[str, int]:
    """:func:`index_text` and the text's :func:`length` (both from one tokenizing)."""
    found = tokenize(text)
    size = length(found)
    return " ".join([*found, length_token(size)]), size


def tsvector_literal(text: str) -> str:
    """The tokens of ``text`` as a PostgreSQL ``tsvector`` literal with positions (1-based; PostgreSQL keeps
    positions up to 16,383 and at most 256 of them per lexeme)."""
    return indexed_tsvector(text)[0]


def indexed_tsvector(text: str) -> tuple[str, int]:
    """:func:`tsvector_literal` and the text's :func:`length` (both from one tokenizing)."""
    found = tokens(text)
    return tsvector_of(" ".join(found)), length(found)


def tsvector_of(token_string: str) -> str:
    """A ``tsvector`` literal of tokens joined by spaces, with their positions. A token needs no quotes (letters
    and digits only); PostgreSQL merges a repeated one's positions (keeping 256) and takes positions past 16,383
    as 16,383."""
    return " ".join([f"{token}:{index}" for index, token in enumerate(token_string.split(), 1)])


def quote_lexeme(token: str) -> str:
    """A lexeme quoted for a ``tsvector``/``tsquery`` literal."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"
