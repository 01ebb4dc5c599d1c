"""Your commands and links on the selected notification (``[[commands]]``, ``[links]``).

Every value put into a command line is shell-quoted, every value put into a
URL is URL-encoded (:mod:`tiri_tui.settings.placeholders`). Background commands never
touch the terminal (stdin closed, output captured); an interactive one gets
the terminal while the app is suspended, and the event loop keeps running
under it (the socket's heartbeats go on; nothing is painted meanwhile).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SuspendNotSupported

from tiri_tui.wire.models import Notification
from tiri_tui.wire.text import one_line

if TYPE_CHECKING:
    from tiri_tui.settings.customisation import Customisation, UserCommand

#: How much of a failed command's stderr the toast shows.
STDERR_SHOWN = 200


def _write_file(n: Notification) -> str:
    """The notification as JSON in a private temp file (for ``{file}``)."""
    import tempfile  # only when a command asks for {file}: not at every start

    handle, path = tempfile.mkstemp(prefix="tiri-notification-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(n.to_dict(), out, ensure_ascii=False, indent=2)
    return path


class UserActions:
    """Runs the user's commands and opens their links, and says how it went."""

    def __init__(self, app: App[None], customisation: Customisation | None) -> None:
        self._app = app
        self.commands: tuple[UserCommand, ...] = customisation.commands if customisation else ()
        self._links = dict(customisation.links) if customisation else {}
        #: Set while an interactive command has the terminal.
        self.suspended = False

    def _toast(self, message: str, title: str, *, error: bool = False) -> None:
        self._app.notify(
            one_line(message, 300),
            title=one_line(title, 60),
            severity="error" if error else "information",
            markup=False,
        )

    async def run(self, command: UserCommand, n: Notification) -> None:
        """Run ``command`` on ``n`` and toast how it ended."""
        from tiri_tui.settings.placeholders import TemplateError, names, shell_command

        file = await asyncio.to_thread(_write_file, n) if "file" in names(command.run) else None
        try:
            try:
                line = shell_command(command.run, n, file)
            except TemplateError as exc:
                self._toast(f"Not run: {exc}", command.name, error=True)
                return
            if command.interactive:
                try:
                    code, stderr = await self._interactive(line), ""
                except SuspendNotSupported:
                    self._toast(
                        "Not run: an interactive command needs the terminal",
                        command.name,
                        error=True,
                    )
                    return
            else:
                code, stderr = await self._background(line)
        finally:
            if file is not None:
                await asyncio.to_thread(Path(file).unlink, True)
        if code == 0:
            self._toast("Done (exit 0)", command.name)
        else:
            first = next((ln for ln in stderr.splitlines() if ln.strip()), "")
            detail = f": {first[:STDERR_SHOWN]}" if first else ""
            self._toast(f"Failed (exit {code}){detail}", command.name, error=True)

    async def _background(self, line: str) -> tuple[int, str]:
        try:
            process = await asyncio.create_subprocess_shell(
                line,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # never the dashboard's terminal
            )
        except OSError as exc:
            return 127, str(exc)
        _, err = await process.communicate()
        return process.returncode or 0, err.decode("utf-8", "replace")

    async def _interactive(self, line: str) -> int:
        # batch_update outside suspend: nothing is painted until the terminal
        # is the app's again (suspend has ended by the time the batch ends).
        with self._app.batch_update(), self._app.suspend():
            self.suspended = True
            try:
                process = await asyncio.create_subprocess_shell(line)
                return await process.wait()
            finally:
                self.suspended = False

    async def open_link(self, n: Notification) -> None:
        """``o``: the type's link for ``n``, in the browser (http and https only).

        Served in a browser, Textual's ``open_url`` hands it to that browser. In
        a terminal that is ``webbrowser.open``, which looks for a browser on
        disk and may wait for it: run on a thread, and a machine without one
        is told the link instead of hearing "opened"."""
        from tiri_tui.settings.placeholders import TemplateError, link

        template = self._links.get(n.notification_type)
        if template is None:
            self._toast(
                f"No link for type {n.notification_type!r}: add one under [links] in config.toml",
                "Open",
            )
            return
        try:
            url = link(template, n)
        except TemplateError as exc:
            self._toast(f"Not opened: {exc}", "Open", error=True)
            return
        if self._app.is_web:
            self._app.open_url(url)
            opened = True
        else:
            import webbrowser  # kept off start-up

            opened = await asyncio.to_thread(webbrowser.open, url)
        self._toast(url, "Opened" if opened else "No browser found here; the link is")
