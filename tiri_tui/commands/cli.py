"""The `tiri-tui` command: dashboard (default), demo, serve, login, logout, tail."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tiri_tui import __version__
from tiri_tui.attention.modes import AlertMode, describe_mode, pick_mode
from tiri_tui.commands.logs import configure_logging
from tiri_tui.commands.pipes import quiet_stdout
from tiri_tui.settings.config import (
    DEFAULT_SERVER,
    ConfigError,
    Settings,
    resolve_settings,
    security_warnings,
)
from tiri_tui.wire.errors import AlertsUnavailable, LoginFailed, LoginRequired, TiriError

if TYPE_CHECKING:
    from tiri_tui.client import TiriClient

EXIT_OK, EXIT_ERROR, EXIT_AUTH = 0, 1, 2

_DESCRIPTION = """\
A terminal dashboard for Tiri notifications: live over WebSocket, kept fresh
over HTTP when the socket is down, with marks that are never lost.

Start with `tiri-tui demo` (no account needed), or point it at a server:
  tiri-tui --server https://tiriapp.com login
  tiri-tui --server https://tiriapp.com
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (global options go before the subcommand)."""
    parser = argparse.ArgumentParser(
        prog="tiri-tui",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tiri-tui {__version__}")
    parser.add_argument(
        "--server",
        metavar="URL",
        help=f"server base URL (env TIRI_SERVER; default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--ws-url",
        metavar="URL",
        help="WebSocket URL, if not derived from --server (env TIRI_WS_URL)",
    )
    parser.add_argument(
        "--origin",
        metavar="URL",
        help="the Origin the WebSocket sends, for a server whose socket accepts only its "
        "web app's (env TIRI_ORIGIN; default: the server's own scheme://host[:port])",
    )
    profile = parser.add_argument(
        "--profile", metavar="NAME", help="a [profiles.NAME] of config.toml (env TIRI_PROFILE)"
    )
    profile.completer = _profile_names  # type: ignore[attr-defined]  # argcomplete's hook
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"],
        help="log verbosity (default WARNING); tokens are masked at every level",
    )
    parser.add_argument(
        "--log-file", metavar="PATH", help="log file (default: the platform log dir)"
    )
    parser.add_argument(
        "--ca-bundle",
        metavar="PATH",
        help="also trust the CA certificates in this PEM file (env TIRI_CA_BUNDLE)",
    )
    parser.add_argument(
        "--alerts",
        metavar="MODE",
        choices=[m.value for m in AlertMode],
        help="desktop alerts while the terminal is not focused: auto (default: picked "
        "from the terminal), osc9, osc777, osc99, desktop, bell, off (env TIRI_DESKTOP_ALERTS)",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify TLS certificates (dangerous: warned about every time)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    dashboard = commands.add_parser("dashboard", help="open the dashboard (the default command)")
    # `web --demo` starts one per tab against its demo server: the header says so.
    dashboard.add_argument("--demo-label", action="store_true", help=argparse.SUPPRESS)
    demo = commands.add_parser(
        "demo", help="try it: a demo server in-process, logged in, dashboard open"
    )
    demo.add_argument(
        "--rate",
        type=float,
        default=4.0,
        metavar="SECONDS",
        help="a new notification every SECONDS (default 4)",
    )

    serve = commands.add_parser("serve", help="run the embedded demo Tiri server in the foreground")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)"
    )
    serve.add_argument(
        "--rate",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="a new notification every SECONDS; 0 turns it off (default 5)",
    )
    serve.add_argument(
        "--access-lifetime",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="access token lifetime (default 300)",
    )
    serve.add_argument(
        "--legacy-mark-all", action="store_true", help="offer only the legacy mark_all_read/ route"
    )
    serve.add_argument(
        "--public",
        action="store_true",
        help="allow a non-loopback --host (the demo password is public!)",
    )
    serve.add_argument(
        "--ws-origins",
        metavar="URL[,URL]",
        help="behave as a deployment whose socket takes only these Origins (Channels' "
        "OriginValidator: scheme://host[:port], a host, .domain, or *): any other is "
        "refused with HTTP 403 at the handshake, while REST keeps accepting the token",
    )

    login = commands.add_parser("login", help="log in and store the session for this server")
    login.add_argument("--email", help="account e-mail (prompted if omitted)")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    commands.add_parser("logout", help="log out and forget the stored session")
    web = commands.add_parser(
        "web",
        help="serve the dashboard to a browser (one dashboard per tab)",
        description="Serve the dashboard to a web browser through textual-serve: the same "
        "server, profile and session as the terminal command. The page lives behind a "
        "random secret in its URL, printed once; other requests get 403.",
    )
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument(
        "--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    web.add_argument(
        "--demo", action="store_true", help="serve against the embedded demo server, logged in"
    )
    web.add_argument(
        "--public",
        action="store_true",
        help="allow a non-loopback --host (anyone with the link sees your notifications)",
    )
    doctor = commands.add_parser(
        "doctor",
        help="check, step by step, why the server does not work from here",
        description="Check the configured server and session step by step — name and TCP, "
        "TLS, the REST API, the clock, the session and its refresh, a notification page, "
        "the WebSocket handshake, connection_ack and a ping — and say what to do about "
        "each failure. Exit 1 if a step failed. No token is ever printed.",
    )
    doctor.add_argument("--json", action="store_true", help="one JSON object per step")
    config = commands.add_parser(
        "config",
        help="print the effective settings and where each came from",
        description="Print every setting in force and where it came from: the default, "
        "config.toml and its line, an environment variable, or a flag. "
        "`tiri-tui config path` prints where config.toml is (or would be).",
    )
    config.add_argument("what", nargs="?", choices=["path"], help="path: the file's location")
    completion = commands.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh, fish)",
        description="Print a completion script for your shell. Install it with, for example:\n"
        "  bash: tiri-tui completion bash > ~/.local/share/bash-completion/completions/tiri-tui\n"
        "  zsh:  tiri-tui completion zsh > ~/.zfunc/_tiri-tui  (with fpath+=~/.zfunc)\n"
        "  fish: tiri-tui completion fish > ~/.config/fish/completions/tiri-tui.fish",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=["bash", "zsh", "fish"])
    commands.add_parser(
        "rules",
        help="show the alert rules, quiet hours and alert mode in force",
        description="Show what config.toml's [[rules]] and quiet_hours do, in the order "
        "they apply, and how alerts would be raised in this terminal.",
    )

    tail = commands.add_parser("tail", help="print notifications as they arrive (headless)")
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    tail.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour the text mode's labels: auto (a terminal, unless NO_COLOR is set), "
        "always, never",
    )
    tail.add_argument(
        "-n",
        type=int,
        default=0,
        metavar="N",
        help="first print the N newest existing notifications",
    )
    count = commands.add_parser(
        "count",
        help="print the unread count, for status bars (waybar, i3blocks, tmux)",
        description="Print the unread count: the server's, or, when it cannot be reached, "
        "the last one cached, marked stale (exit 0). Not logged in: exit 2.",
    )
    count.add_argument(
        "--format",
        choices=["plain", "json", "waybar", "tmux"],
        default="plain",
        help="plain (the number; 3? when stale), json, waybar (text/tooltip/class), tmux (for status-right)",
    )
    count.add_argument(
        "--watch",
        action="store_true",
        help="keep connected and print a line at every change (waybar exec, i3blocks persist)",
    )
    count.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="how long to wait for the server before using the cache (default 3)",
    )
    return parser


def _profile_names(prefix: str, **_: object) -> list[str]:
    """``--profile <TAB>``: the [profiles.NAME] of config.toml (none if it cannot be read)."""
    import tomllib

    from tiri_tui.settings.config import config_path

    try:
        profiles = tomllib.loads(config_path(os.environ).read_text("utf-8")).get("profiles")
    except (OSError, tomllib.TOMLDecodeError):
        return []
    names = profiles if isinstance(profiles, dict) else {}
    return sorted(name for name in names if name.startswith(prefix))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tiri-tui` script; returns the exit code."""
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions (never at a normal start)
        import argcomplete

        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    command = args.command or "dashboard"
    try:
        if command == "serve":
            return _serve(args)
        if command == "completion":
            from argcomplete.shell_integration import shellcode

            print(shellcode(["tiri-tui"], shell=args.shell))
            return EXIT_OK
        settings, sources = resolve_settings(
            server=args.server,
            ws_url=args.ws_url,
            origin=args.origin,
            profile=args.profile,
            log_level=args.log_level,
            log_file=args.log_file,
            ca_bundle=args.ca_bundle,
            alerts=args.alerts,
            insecure=args.insecure,
            namespace="default",
        )
        if command == "rules":
            return _rules(settings)
        if command == "config":
            return _config(args, settings, sources)
        if command == "demo":
            return _demo(args, settings)
        if command == "web":
            return _web(args, settings)
        configure_logging(settings)
        for warning in security_warnings(settings):
            _fail(f"warning: {warning}")
            logging.getLogger("tiri_tui").warning("%s", warning)
        runner = {
            "login": _login,
            "logout": _logout,
            "tail": _tail,
            "count": _count,
            "doctor": _doctor,
            "dashboard": _dashboard,
        }[command]
        return runner(args, settings)
    except (ConfigError, AlertsUnavailable) as exc:
        _fail(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): done, as shell tools are
        quiet_stdout()
        return EXIT_OK


def _fail(message: str) -> None:
    print(f"tiri-tui: {message}", file=sys.stderr)


def _client(settings: Settings) -> TiriClient:
    from tiri_tui.client import TiriClient  # lazily: keeps --help and serve light

    return TiriClient(settings)


# -- serve ------------------------------------------------------------------------------------
def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    if not _is_loopback(args.host) and not args.public:
        _fail(
            f"refusing to listen on {args.host}: the demo password is public. Add --public to insist."
        )
        return EXIT_ERROR
    from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
    from tiri_tui.server.websocket import parse_allowed_origins

    try:
        origins = None if args.ws_origins is None else parse_allowed_origins(args.ws_origins)
    except ValueError as exc:
        _fail(f"--ws-origins: {exc}")
        return EXIT_ERROR

    async def serve() -> None:
        server = DemoServer(
            args.host, args.port, access_lifetime=args.access_lifetime, rate=args.rate
        )
        if args.legacy_mark_all:
            server.faults.offer_bulk_actions = False
        server.faults.allowed_origins = origins
        try:
            await server.start()
        except OSError as exc:
            _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
            raise SystemExit(EXIT_ERROR) from None
        print(f"Tiri demo server on {server.url}", flush=True)
        print(f"  log in with: {DEMO_EMAIL} / {DEMO_PASSWORD}", flush=True)
        print(f"  try: tiri-tui --server {server.url} login --email {DEMO_EMAIL}", flush=True)
        if origins is not None:
            print(f"  the socket accepts only Origin {', '.join(origins)}", flush=True)
            sendable = next((o for o in origins if "://" in o), None)
            if sendable is not None:
                print(f"  (send it with: tiri-tui --origin {sendable} ...)", flush=True)
        print("  Ctrl+C stops it.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    print("stopped.", file=sys.stderr)
    return EXIT_OK


# -- login / logout ---------------------------------------------------------------------------
def _login(args: argparse.Namespace, settings: Settings) -> int:
    interactive = sys.stdin.isatty()
    email = args.email
    if not email:
        if not interactive:
            _fail("give --email when standard input is not a terminal")
            return EXIT_ERROR
        email = input("E-mail: ").strip()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif interactive:
        password = getpass.getpass("Password: ")
    else:
        _fail("no terminal to ask for the password: use --password-stdin")
        return EXIT_ERROR

    async def login() -> str:
        async with _client(settings) as client:
            session = await client.auth.login(email, password)
            return session.email or email

    try:
        who = asyncio.run(login())
    except LoginFailed as exc:
        _fail(f"login failed: {exc}")
        return EXIT_AUTH
    except TiriError as exc:
        _fail(f"login failed: {exc}")
        return EXIT_ERROR
    print(f"Logged in to {settings.server} as {who}.")
    return EXIT_OK


def _logout(args: argparse.Namespace, settings: Settings) -> int:
    async def logout() -> bool:
        async with _client(settings) as client:
            had = client.auth.session is not None
            await client.auth.logout()
            return had

    had_session = asyncio.run(logout())
    print(
        f"Logged out of {settings.server}."
        if had_session
        else f"Not logged in to {settings.server}."
    )
    return EXIT_OK


# -- tail -------------------------------------------------------------------------------------
def _with_client(settings: Settings, work: Callable[[TiriClient], Awaitable[int]]) -> int:
    """Run ``work`` with a client; a session only a login can bring back is exit 2."""

    async def run() -> int:
        async with _client(settings) as client:
            return await work(client)

    try:
        return asyncio.run(run())
    except LoginRequired as exc:  # NotLoggedIn too
        _fail(str(exc))
        return EXIT_AUTH


def _tail(args: argparse.Namespace, settings: Settings) -> int:
    from tiri_tui.commands.tail import run_tail, use_color

    color = use_color(args.color, sys.stdout.isatty(), os.environ)
    return _with_client(
        settings,
        lambda client: run_tail(client, as_json=args.json, newest=max(0, args.n), color=color),
    )


def _count(args: argparse.Namespace, settings: Settings) -> int:
    from tiri_tui.commands.count import read_count, render, watch

    async def count(client: TiriClient) -> int:
        if args.watch:
            return await watch(client, args.format)
        print(render(await read_count(client, max(0.1, args.timeout)), args.format))
        return EXIT_OK

    return _with_client(settings, count)


def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    from tiri_tui.commands.doctor import diagnose

    async def doctor(client: TiriClient) -> int:
        failed = False
        async for step in diagnose(client):
            print(step.as_json() if args.json else step.line(), flush=True)
            failed = failed or step.ok is False
        return EXIT_ERROR if failed else EXIT_OK

    return _with_client(settings, doctor)


def _child_options(args: argparse.Namespace) -> list[str]:
    """The global options as given, for the dashboards `web` starts."""
    options = []
    for flag, value in (
        ("--server", args.server),
        ("--ws-url", args.ws_url),
        ("--origin", args.origin),
        ("--profile", args.profile),
        ("--log-level", args.log_level),
        ("--log-file", args.log_file),
        ("--ca-bundle", args.ca_bundle),
        ("--alerts", args.alerts),
    ):
        if value:
            options += [flag, value]
    return options + (["--insecure"] if args.insecure else [])


def _web(args: argparse.Namespace, settings: Settings) -> int:
    if not _is_loopback(args.host) and not args.public:
        _fail(
            f"refusing to listen on {args.host}: anyone who reaches the page with its link "
            "sees your notifications. Add --public to insist."
        )
        return EXIT_ERROR
    import tempfile

    from tiri_tui.commands.web import DashboardServer, dashboard_command, new_secret

    async def serve(home: Path) -> int:
        demo = None
        options = _child_options(args)
        if args.demo:
            from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer

            demo = DemoServer(port=0, rate=4.0)
            await demo.start()
            # The dashboards it starts read this throw-away home, never the real one.
            os.environ["TIRI_HOME"] = str(home)
            async with _client(Settings(server=demo.url, home=home)) as client:
                await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
            options = ["--server", demo.url]
        command = dashboard_command(options, demo=args.demo)
        server = DashboardServer(command, args.host, args.port, new_secret())
        try:
            runner = await server.start()
        except OSError as exc:
            _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
            return EXIT_ERROR
        if args.public:
            _fail(
                "warning: --public: anyone who reaches this address with the link sees your notifications"
            )
        print(f"tiri-tui in a browser: open {server.url}", flush=True)
        print(
            "  (the link carries a secret: share it as you would your session; Ctrl+C stops)",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()  # each tab's dashboard is told to quit, and waited for
            if demo is not None:
                await demo.stop()
        return EXIT_OK

    with tempfile.TemporaryDirectory(prefix="tiri-web-") as home:
        code = asyncio.run(serve(Path(home)))
    print("stopped.", file=sys.stderr)
    return code


def _config(args: argparse.Namespace, settings: Settings, sources: dict[str, str]) -> int:
    path = settings.config_dir / "config.toml"
    if args.what == "path":
        print(path)
        return EXIT_OK
    from tiri_tui.settings.config import describe_settings
    from tiri_tui.ui.keymap import keymap_of

    keymap_of(settings.customisation)  # what the start would refuse (KeymapError: exit 1)
    for name, value, source in describe_settings(settings, sources):
        print(f"{name} = {value}  ({source})")
    print(f"# file: {path}" + ("" if path.exists() else " (not there: every setting is a default)"))
    return EXIT_OK


def _rules(settings: Settings) -> int:
    mode = pick_mode(settings.desktop_alerts, os.environ)
    picked = settings.desktop_alerts is AlertMode.AUTO
    print(describe_mode(mode, os.environ, picked=picked))
    from tiri_tui.attention.rules import AttentionRules

    for line in (settings.attention or AttentionRules()).describe():
        print(line)
    print(f"config: {settings.config_dir / 'config.toml'}")
    return EXIT_OK


# -- dashboard / demo ---------------------------------------------------------------------------
def _dashboard(args: argparse.Namespace, settings: Settings) -> int:
    from tiri_tui.commands import gc_tuning

    async def dashboard() -> None:
        async with _client(settings) as client:
            # The cache is read on the store thread while Textual is imported.
            prepared = client.open_controller() if client.auth.session is not None else None
            if prepared is not None:
                prepared.prefetch_cache()
            from tiri_tui.ui.app import TiriApp

            gc_tuning.tune()
            app = TiriApp(
                client,
                prepared=prepared,
                bell=settings.bell,
                rules=settings.attention,
                customisation=settings.customisation,
                alert_mode=pick_mode(settings.desktop_alerts, os.environ),
                first_load_done=gc_tuning.freeze_survivors,
                server_label=f"{settings.server} (demo)" if demo_label else None,
            )
            await app.run_async()

    demo_label = getattr(args, "demo_label", False)  # absent when no command was named
    asyncio.run(dashboard())
    return EXIT_OK


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from tiri_tui.commands import gc_tuning
    from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
    from tiri_tui.ui.app import TiriApp

    async def demo(home: Path) -> None:
        server = DemoServer(port=0, rate=max(0.0, args.rate))
        await server.start()
        try:
            # The demo's session and cache live in a throw-away home, never
            # beside the user's real credentials.
            demo_settings = Settings(
                server=server.url,
                home=home,
                namespace="demo",
                log_level=settings.log_level,
                log_file=settings.log_file,
                fallback_interval=5.0,
            )
            configure_logging(demo_settings)
            async with _client(demo_settings) as client:
                await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
                gc_tuning.tune()
                app = TiriApp(
                    client,
                    demo_server=server,
                    bell=settings.bell,
                    rules=settings.attention,
                    customisation=settings.customisation,
                    alert_mode=pick_mode(settings.desktop_alerts, os.environ),
                    first_load_done=gc_tuning.freeze_survivors,
                )
                await app.run_async()
        finally:
            await server.stop()

    with tempfile.TemporaryDirectory(prefix="tiri-demo-") as home:
        asyncio.run(demo(Path(home)))
    return EXIT_OK
