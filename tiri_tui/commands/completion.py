"""`tiri-tui completion`: the shell completion script."""

from __future__ import annotations

import argparse

from tiri_tui.commands.base import EXIT_OK, Command, Invocation, Needs


def _arguments(completion: argparse.ArgumentParser) -> None:
    completion.add_argument("shell", choices=["bash", "zsh", "fish"])


def _run(invocation: Invocation) -> int:
    from argcomplete.shell_integration import shellcode

    print(shellcode(["tiri-tui"], shell=invocation.args.shell))
    return EXIT_OK


COMMAND = Command(
    "completion",
    "print the shell completion script (bash, zsh, fish)",
    _run,
    needs=Needs.NOTHING,
    description="Print a completion script for your shell. Install it with, for example:\n"
    "  bash: tiri-tui completion bash > ~/.local/share/bash-completion/completions/tiri-tui\n"
    "  zsh:  tiri-tui completion zsh > ~/.zfunc/_tiri-tui  (with fpath+=~/.zfunc)\n"
    "  fish: tiri-tui completion fish > ~/.config/fish/completions/tiri-tui.fish",
    arguments=_arguments,
    raw_description=True,
)
