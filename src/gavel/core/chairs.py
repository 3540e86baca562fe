"""Who chairs a meeting: chair nicks, the services accounts that make a nick a chair, and each nick's account."""

from __future__ import annotations

from gavel.core.events import AccountChange, Join, NickChange, Part, Quit
from gavel.core.records import fold_nick


class Chairs:
    """The chairs of one meeting, by nick and (with ``by_account``) by services account.

    A chair's nick is enough, unless that chair was seen logged in: then the nick must be on the same
    account (so whoever takes a dropped chair's nick is not a chair), and any nick on that account is a
    chair. To bind a nick chaired later, it also knows the account of each nick present, from joins,
    account changes and lines said logged in. Nicks compare IRC-case-insensitively (``fold_nick``).
    """

    def __init__(self, by_account: bool) -> None:
        self.by_account = by_account
        self._nicks: dict[str, str] = {}  # folded chair nick -> nick
        self._chair_accounts: set[str] = set()  # any nick logged in to one of these is a chair
        self._chair_account: dict[str, str] = {}  # folded chair nick -> the account that chair is logged in to
        self._accounts: dict[str, str] = {}  # folded nick -> services account, for the nicks present
        self.by_role: frozenset[str] = frozenset()  # accounts that chair by their role (Matrix power levels)
        self._speakers: dict[str, str] = {}  # account -> the nick it last said a line under (role chairs' names)
        self._role_nicks: dict[str, str] = {}  # folded nick -> nick: chairs by role read back from a log (no accounts)

    def nicks(self, spoke: frozenset[str] = frozenset()) -> list[str]:
        """The chairs' nicks, sorted case-insensitively: chairs by nick or account, then every account chairing by
        its role (``by_role``) that said a line in this meeting, under its latest nick, and every nick chairing by
        its role read back from a log that is in ``spoke`` (the folded nicks, now, of those who said a line)."""
        chairs = dict(self._nicks)
        speakers = self._speakers
        for account in self.by_role & speakers.keys():
            nick = speakers[account]
            chairs.setdefault(fold_nick(nick), nick)
        for key in self._role_nicks.keys() & spoke:
            chairs.setdefault(key, self._role_nicks[key])
        return sorted(chairs.values(), key=lambda nick: (nick.lower(), nick))

    def has_role_nicks(self) -> bool:
        return bool(self._role_nicks)

    def set_roles(self, accounts: tuple[str, ...], nicks: tuple[str, ...]) -> None:
        """The chairs by role now: these accounts; or, when no account is known (a log read back), these nicks."""
        self.by_role = frozenset(accounts)
        self._role_nicks = {} if accounts else {fold_nick(nick): nick for nick in nicks}

    def is_chair(self, nick: str, account: str | None = None) -> bool:
        """Whether ``nick``, logged in to ``account`` (None: not logged in), is a chair (by nick, by account, or by
        the account's role: ``by_role``)."""
        if account is not None and account in self.by_role:
            return True
        key = fold_nick(nick)
        if key in self._role_nicks:
            return True
        by_account = self.by_account
        if key in self._nicks:
            expected = self._chair_account.get(key) if by_account else None
            if expected is None or expected == account:
                return True
        return bool(by_account and account and account in self._chair_accounts)

    def chair_account(self, nick: str) -> str | None:
        """The account a chair is known to be logged in to (None: not logged in, not a chair, or not by account)."""
        return self._chair_account.get(fold_nick(nick)) if self.by_account else None

    def account(self, nick: str) -> str | None:
        """The services account ``nick`` is known to be logged in to."""
        return self._accounts.get(fold_nick(nick))

    def known_accounts(self) -> list[tuple[str, str]]:
        """(folded nick, account) of every nick whose account is known, sorted."""
        return sorted(self._accounts.items())

    def chair(self, nick: str, account: str | None) -> None:
        """Make ``nick`` a chair; when it is logged in to ``account``, that account makes chairs too."""
        key = fold_nick(nick)
        self._nicks.setdefault(key, nick)
        if account and self.by_account:
            self._chair_account[key] = account
            self._chair_accounts.add(account)

    def unchair(self, nick: str, owner: str) -> None:
        """``nick`` is no chair any more, nor is its account, unless that is the account of ``owner`` (still chair)."""
        key = fold_nick(nick)
        if self._nicks.pop(key, None) is not None:
            account = self._chair_account.pop(key, None) or self._accounts.get(key)
            if account and account != self._accounts.get(fold_nick(owner)):
                self._chair_accounts.discard(account)

    def rename(self, old: str, new: str) -> None:
        """A chair who changes nick stays chair, bound to the same account (and a speaker is named by the new nick)."""
        old_key, new_key = fold_nick(old), fold_nick(new)
        account = self._accounts.get(old_key)
        if account is not None and fold_nick(self._speakers.get(account, "")) == old_key:
            self._speakers[account] = new
        if old_key in self._nicks:
            del self._nicks[old_key]
            self._nicks[new_key] = new
            if old_key in self._chair_account:
                self._chair_account[new_key] = self._chair_account.pop(old_key)

    def saw_logged_in(self, nick: str, account: str) -> None:
        """``nick`` said a line logged in to ``account``: a chair first seen without one is now bound to it."""
        key = fold_nick(nick)
        self._accounts[key] = account
        self._speakers[account] = nick
        if self.by_account and key in self._nicks and key not in self._chair_account:
            self._chair_account[key] = account
            self._chair_accounts.add(account)

    def track_account(self, event: Join | Part | Quit | NickChange | AccountChange) -> None:
        """Know a nick's services account only while that nick is here (a stale one must not be chaired)."""
        accounts = self._accounts
        if isinstance(event, AccountChange):
            if event.account:
                accounts[fold_nick(event.nick)] = event.account
            else:
                accounts.pop(fold_nick(event.nick), None)
        elif isinstance(event, NickChange):
            account = accounts.pop(fold_nick(event.old), None)
            accounts.pop(fold_nick(event.new), None)
            if account:
                accounts[fold_nick(event.new)] = account
        elif isinstance(event, Join) and event.account:
            accounts[fold_nick(event.nick)] = event.account
        else:  # a Part, a Quit, or a Join by someone not logged in
            accounts.pop(fold_nick(event.nick), None)
