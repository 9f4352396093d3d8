"""The ``glassnet`` command: ``demo``, ``word2vec`` and ``playground``."""

from __future__ import annotations

import importlib
import sys

_COMMANDS = {
    "demo": ("glassnet.demo", "run the curriculum chapters end to end"),
    "word2vec": ("glassnet.word2vec.cli", "train word vectors (the original tool's flags)"),
    "tune": ("glassnet.tune.cli", "tune hyper-parameters with Optuna from a TOML/JSON file"),
    "playground": ("glassnet.playground", "train networks in the browser (needs the extra)"),
}


def _usage() -> str:
    lines = ["usage: glassnet COMMAND [ARGS]", "", "commands:"]
    for name, (_, text) in _COMMANDS.items():
        lines.append(f"  {name:<10} {text}")
    lines.append("")
    lines.append("`glassnet COMMAND --help` describes a command's arguments.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from . import __version__

        print(f"glassnet {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in _COMMANDS:
        print(f"glassnet: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(_COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
