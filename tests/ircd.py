"""A real InspIRCd 3 (optionally with Anope services linked to it) on free loopback ports, for live tests.

    with Ircd(services=True) as server:
        user = await IrcUser.connect(server.host, server.port, "alice")              # plain
        user = await IrcUser.connect(server.host, server.tls_port, "bob", tls=True,  # TLS, verified
                                     cafile=server.cafile)

Everything lives in one temporary directory (config, self-signed certificate, logs, services database), removed by
``close()``. ``stop()``/``start()``/``restart()`` keep the directory and the ports, so clients can reconnect to the same
address. The servers are children of this process: they get SIGTERM on ``stop()``, and also when the thread that
started them dies if that was the main thread (PR_SET_PDEATHSIG), so a killed test run leaves no server behind.

Needs the Debian packages ``inspircd``, ``openssl`` and (for services) ``anope``; ``scripts/test`` installs them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from irctokens.line import Line

from irc_client import IrcUser, line_matches

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
INSTALL_HINT = "run ./scripts/test (it installs them) or: apt-get install inspircd anope openssl"

# InspIRCd modules loaded on every server: IRCv3 capabilities, NAMESX/UHNAMES, and what Anope needs to link.
# WHOX needs no module: InspIRCd 3's core WHO implements it (ISUPPORT WHOX).
MODULES = [
    *("cap", "ircv3", "ircv3_servertime", "ircv3_ctctags", "ircv3_echomessage", "ircv3_accounttag", "ircv3_msgid"),
    *("ircv3_batch", "ircv3_labeledresponse", "ircv3_capnotify", "ircv3_chghost", "ircv3_invitenotify"),
    *("namesx", "uhnames", "setname", "monitor", "ssl_gnutls", "sslinfo"),
    *("services_account", "spanningtree", "hidechans", "servprotect", "chghost", "chgident", "chgname", "svshold"),
]
SERVICES_MODULES = ["sasl"]  # m_sasl refuses to load without a <sasl target>, which only exists with services


class IrcdError(RuntimeError):
    """The test IRC server (or its services) is missing, would not start, or would not link."""


def _find_binary(name: str) -> str:
    path = shutil.which(name, path=SBIN_PATH)
    if path is None:
        raise IrcdError(f"`{name}` is not installed (looked in PATH and sbin dirs): {INSTALL_HINT}")
    return path


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1, below the ephemeral range when it leaves room.

    Below it, no outgoing connection can take a port while the server is down for a ``restart()``.
    """
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    ports: list[int] = []
    rng = random.Random()
    for _ in range(1000 if ephemeral_low > 12000 else 0):
        port = rng.randrange(10000, ephemeral_low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port not in ports:
            ports.append(port)
        if len(ports) == count:
            return ports
    with contextlib.ExitStack() as stack:  # fall back to ports the kernel picks (held together so they differ)
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def _plain(text: str) -> str:
    """IRC text without formatting codes (bold, colours, ...)."""
    return re.sub(r"\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]", "", text)


def _read_from(path: Path, offset: int) -> str:
    with open(path, "rb") as file:
        file.seek(offset)
        return file.read().decode(errors="replace")


def _child_setup(die_with_parent: bool) -> None:
    """Runs in the forked child before exec: no core dumps (InspIRCd may segfault on SIGTERM with ssl_gnutls)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if die_with_parent:
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _terminate(process: subprocess.Popen[bytes] | None, timeout: float = 5.0) -> None:
    """SIGTERM, bounded wait, then SIGKILL. The exit code is ignored (InspIRCd exits 10 or segfaults)."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(timeout)


class Ircd:
    """A real InspIRCd on a plain and a TLS port of 127.0.0.1, with Anope services when ``services=True``."""

    host = "127.0.0.1"
    server_name = "irc.gavel.test"
    services_name = "services.gavel.test"
    network = "GavelTest"

    def __init__(self, *, services: bool = False, start_timeout: float = 10.0) -> None:
        self.services = services
        self.start_timeout = start_timeout
        self.port = 0
        self.tls_port = 0
        self.link_port = 0
        self.workdir: Path | None = None
        self._ircd: subprocess.Popen[bytes] | None = None
        self._anope: subprocess.Popen[bytes] | None = None
        self._link_password = "gavel-link-" + os.urandom(6).hex()

    # -- paths -----------------------------------------------------------------------------------------------------

    @property
    def cafile(self) -> Path:
        """The self-signed certificate of the TLS port (valid for "localhost" and "127.0.0.1")."""
        return self._dir / "cert.pem"

    @property
    def _dir(self) -> Path:
        if self.workdir is None:
            raise IrcdError("the server has not been started")
        return self.workdir

    @property
    def running(self) -> bool:
        return self._ircd is not None and self._ircd.poll() is None

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the server (and services); returns when the ports accept connections (and services have linked).

        The first start creates the directory, picks the ports and writes the config; later starts reuse them.
        On failure everything started so far is stopped again and ``IrcdError`` says why (with the server's log).
        """
        if self.running:
            return
        self.stop()  # whatever is left of an earlier run (services without their server)
        inspircd = _find_binary("inspircd")
        anope = _find_binary("anope") if self.services else None
        try:
            first = self.workdir is None
            if first:
                self.workdir = Path(tempfile.mkdtemp(prefix="gavel-ircd-"))
                self._write_certificate()
            deadline = time.monotonic() + self.start_timeout
            for attempt in range(3 if first else 1):
                if first:  # a port taken between picking and binding: pick others (not possible on a restart)
                    self.port, self.tls_port, self.link_port = _free_ports(3)
                    self._write_ircd_config()
                    if self.services:
                        self._write_services_config()
                if self._start_ircd(inspircd, deadline, last_try=attempt == (2 if first else 0)):
                    break
            if anope is not None:
                self._start_services(anope, deadline)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop services and server (SIGTERM, bounded wait). Keeps the directory and ports for ``start()``."""
        try:
            _terminate(self._anope)
        finally:
            self._anope = None
            try:
                _terminate(self._ircd)
            finally:
                self._ircd = None

    def restart(self) -> None:
        """Stop, then start again on the same ports (connected clients see their connection drop)."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop and remove the temporary directory."""
        try:
            self.stop()
        finally:
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)
                self.workdir = None

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def log(self) -> str:
        """The server's and services' output so far (for failure messages)."""
        parts = []
        for name in ("inspircd.out", "ircd.log", "anope.out"):
            path = self._dir / name
            if path.exists():
                parts.append(f"--- {name} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    # -- services --------------------------------------------------------------------------------------------------

    async def register_account(self, account: str, password: str, *, timeout: float = 10.0) -> None:
        """Register a NickServ account (connects as nick ``account``, sends REGISTER, waits for the reply)."""
        if not self.services:
            raise IrcdError("register_account needs Ircd(services=True)")
        user = await IrcUser.connect(self.host, self.port, account, timeout=timeout)
        try:
            since = user.mark()
            user.say("NickServ", f"REGISTER {password} {account}@example.invalid")

            def done(line: Line) -> bool:  # logged in (900), or any NickServ notice that is not part of success
                if line.command == "900":
                    return True
                if not line_matches("NOTICE", nick="NickServ")(line):
                    return False
                text = _plain(line.params[-1])
                return not (text.endswith(" registered.") or "owned by someone else" in text or "IDENTIFY" in text)

            reply = await user.wait_for(done, timeout, since=since)
            if reply.command != "900":
                raise IrcdError(f"NickServ did not register {account!r}: {_plain(reply.params[-1])!r}")
        finally:
            await user.close()

    # -- internals -------------------------------------------------------------------------------------------------

    def _spawn(self, argv: list[str], output: str, group: int | None = None) -> subprocess.Popen[bytes]:
        die_with_parent = threading.current_thread() is threading.main_thread()
        with open(self._dir / output, "ab") as out:
            return subprocess.Popen(
                argv,
                cwd=self._dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=lambda: _child_setup(die_with_parent),
                group=group,
            )

    def _check_alive(self, process: subprocess.Popen[bytes] | None, what: str) -> None:
        if process is None or process.poll() is not None:
            code = None if process is None else process.returncode
            raise IrcdError(f"{what} exited during startup (code {code})\n{self.log()}")

    def _start_ircd(self, inspircd: str, deadline: float, *, last_try: bool) -> bool:
        """Start InspIRCd and wait until it runs and its ports accept; False (stopped again) if a port was taken."""
        out = self._dir / "inspircd.out"
        offset = out.stat().st_size if out.exists() else 0
        argv = [inspircd, f"--config={self._dir / 'inspircd.conf'}", "--nofork", "--nopid"]
        self._ircd = self._spawn([*argv, "--runasroot"] if os.geteuid() == 0 else argv, out.name)
        while "InspIRCd is now running as" not in (output := _read_from(out, offset)):
            self._check_alive(self._ircd, "inspircd")
            if time.monotonic() > deadline:
                raise IrcdError(f"inspircd did not finish starting in time\n{self.log()}")
            time.sleep(0.005)
        if "listeners failed to bind" in output:
            _terminate(self._ircd)
            self._ircd = None
            if last_try:
                raise IrcdError(f"inspircd could not bind its ports\n{self.log()}")
            return False
        for port in (self.port, self.tls_port):
            while True:
                self._check_alive(self._ircd, "inspircd")
                try:
                    with socket.create_connection((self.host, port), timeout=0.5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise IrcdError(f"inspircd did not listen on port {port} in time\n{self.log()}") from None
                    time.sleep(0.005)
        return True

    def _start_services(self, anope: str, deadline: float) -> None:
        out = self._dir / "anope.out"
        seen = out.read_text(errors="replace").count(self._synced_marker) if out.exists() else 0
        services_dir = self._dir / "services"
        # Anope sleeps 3 s at startup when both its uid and gid are 0: as root, run it with gid nogroup.
        group = 65534 if os.geteuid() == 0 else None
        self._anope = self._spawn(
            [
                anope,
                "--nofork",
                f"--confdir={services_dir}",
                f"--dbdir={services_dir / 'db'}",
                f"--logdir={services_dir / 'logs'}",
                "--modulesdir=/usr/lib/anope",
                "--localedir=/usr/share/anope/locale",
            ],
            "anope.out",
            group=group,
        )
        while out.read_text(errors="replace").count(self._synced_marker) <= seen:
            self._check_alive(self._anope, "anope")
            self._check_alive(self._ircd, "inspircd")
            if time.monotonic() > deadline:
                raise IrcdError(f"anope did not link to inspircd in time\n{self.log()}")
            time.sleep(0.01)

    @property
    def _synced_marker(self) -> str:
        return f"SERVER: {self.services_name} (gavel test services) is done syncing"

    def _write_certificate(self) -> None:
        openssl = _find_binary("openssl")
        result = subprocess.run(
            [
                *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
                *("-keyout", str(self._dir / "key.pem"), "-out", str(self.cafile), "-days", "30"),
                *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
                *("-addext", "basicConstraints=critical,CA:TRUE"),
            ],
            capture_output=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise IrcdError(f"openssl could not make the test certificate: {result.stderr.decode(errors='replace')}")

    def _write_ircd_config(self) -> None:
        d = self._dir
        modules = MODULES + (SERVICES_MODULES if self.services else [])
        (d / "motd.txt").write_text("gavel test server\n")
        config = f"""
<server name="{self.server_name}" description="gavel test server" network="{self.network}" id="0GV">
<admin name="gavel tests" nick="gavel" email="gavel@example.invalid">
<path datadir="{d}" logdir="{d}" runtimedir="{d}">
<bind address="{self.host}" port="{self.port}" type="clients">
<bind address="{self.host}" port="{self.tls_port}" type="clients" sslprofile="tests">
<bind address="{self.host}" port="{self.link_port}" type="servers">
{"".join(f'<module name="{name}">{chr(10)}' for name in modules)}
<sslprofile name="tests" provider="gnutls" certfile="{self.cafile}" keyfile="{d / "key.pem"}" dhfile=""
            hash="sha256" requestclientcert="no">
<connect name="tests" allow="*" timeout="20" pingfreq="120" fakelag="no" threshold="1000000" commandrate="100000000"
         useident="no" resolvehostnames="no" localmax="10000" globalmax="10000" maxchans="200" limit="10000"
         hardsendq="4M" softsendq="1M" recvq="1M">
# No lookups are made (nouserdns, resolvehostnames off); were one made, it would stay on this machine.
<dns server="127.0.0.1" timeout="1">
<performance nouserdns="yes" softlimit="10000" clonesonconnect="no" timeskipwarn="0">
<security hideserver="" hidesplits="no" hideulines="no" flatlinks="no" maxtargets="20" userstats="Pu"
          restrictbannedusers="no" genericoper="no" announceinvites="dynamic">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="10" maxhost="64" maxquit="255" maxtopic="307"
        maxkick="255" maxreal="128" maxaway="200" maxline="512">
<channels users="200" opers="200">
<options syntaxhints="no" announcets="yes" defaultmodes="not" splitwhois="no" pingwarning="15" serverpingfreq="60">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{d / "ircd.log"}">
<files motd="{d / "motd.txt"}">
"""
        if self.services:
            config += f"""
<link name="{self.services_name}" ipaddr="{self.host}" port="{self.link_port}" allowmask="127.0.0.0/8"
      sendpass="{self._link_password}" recvpass="{self._link_password}" timeout="10">
<uline server="{self.services_name}" silent="yes">
<sasl target="{self.services_name}" requiressl="no">
"""
        (d / "inspircd.conf").write_text(config)

    def _write_services_config(self) -> None:
        services_dir = self._dir / "services"
        for sub in ("db", "logs"):
            (services_dir / sub).mkdir(parents=True, exist_ok=True)
        ns = 'service = "NickServ"'
        config = f"""
uplink {{ host = "{self.host}"; ipv6 = no; ssl = no; port = {self.link_port}; password = "{self._link_password}"; }}
serverinfo {{ name = "{self.services_name}"; description = "gavel test services"; id = "0SV";
  pid = "{services_dir / "services.pid"}"; motd = "{self._dir / "motd.txt"}"; }}
module {{ name = "inspircd3"; use_server_side_mlock = yes; use_server_side_topiclock = yes; }}
networkinfo {{ networkname = "{self.network}"; nicklen = 30; userlen = 10; hostlen = 64; chanlen = 64;
  modelistsize = 100; vhost_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";
  allow_undotted_vhosts = false; disallow_start_or_end = ".-"; }}
options {{ casemap = "rfc1459"; seed = {int.from_bytes(os.urandom(4), "big")}; strictpasswords = no;
  badpasslimit = 0; badpasstimeout = 1h; updatetimeout = 5m; expiretimeout = 30m; readtimeout = 5s;
  warningtimeout = 4h; timeoutcheck = 1s; retrywait = 1s; hideprivilegedcommands = yes;
  hideregisteredcommands = yes; languages = ""; }}
mail {{ usemail = no; }}
module {{ name = "db_flatfile"; database = "anope.db"; keepbackups = 0; fork = no; }}
module {{ name = "enc_sha256"; }}
service {{ nick = "NickServ"; user = "services"; host = "{self.services_name}"; gecos = "Nickname Services"; }}
module {{ name = "nickserv"; client = "NickServ"; forceemail = no; confirmemailchanges = no;
  defaults = "ns_secure hide_email hide_mask"; regdelay = 0s; expire = 21d; secureadmins = yes; modeonid = yes;
  hidenetsplitquit = no; killquick = 20s; kill = 60s; enforceruser = "enforcer";
  enforcerhost = "{self.services_name}"; releasetimeout = 1m; guestnickprefix = "Guest";
  nonicknameownership = no; passlen = 32; }}
module {{ name = "help"; }}
command {{ {ns}; name = "HELP"; command = "generic/help"; }}
module {{ name = "ns_register"; registration = "none"; resenddelay = 90s; }}
command {{ {ns}; name = "REGISTER"; command = "nickserv/register"; }}
command {{ {ns}; name = "CONFIRM"; command = "nickserv/confirm"; }}
module {{ name = "ns_identify"; maxlogins = 10; }}
command {{ {ns}; name = "IDENTIFY"; command = "nickserv/identify"; }}
module {{ name = "ns_logout"; }}
command {{ {ns}; name = "LOGOUT"; command = "nickserv/logout"; }}
module {{ name = "ns_info"; }}
command {{ {ns}; name = "INFO"; command = "nickserv/info"; }}
module {{ name = "ns_group"; maxaliases = 16; nogroupchange = yes; }}
command {{ {ns}; name = "GROUP"; command = "nickserv/group"; }}
module {{ name = "m_sasl"; }}
log {{ target = "services.log"; logage = 1; admin = "*"; servers = "*"; users = "*"; other = "*"; }}
"""
        (services_dir / "services.conf").write_text(config)
