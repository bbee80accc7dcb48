"""The ``diffbench`` command.  Each sub-command is one module in this
package defining ``command`` (a click command); they are found by name,
so adding a command is adding a file."""
from __future__ import annotations

import atexit
import gc
import importlib
import pkgutil
import sys

import click

from ..errors import UserError

_NOT_COMMANDS = {"main", "__main__"}


class _Group(click.Group):
    def list_commands(self, ctx):
        import diffbench.cli as pkg

        names = [m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name not in _NOT_COMMANDS]
        # shared helpers (common, options) sit beside the commands: a module is a
        # command when it defines one, so a new helper module cannot break --help
        modules = [importlib.import_module(f"diffbench.cli.{n}") for n in names]
        return sorted(m.command.name for m in modules if hasattr(m, "command"))

    def get_command(self, ctx, name):
        module_name = name.replace("-", "_")
        try:
            module = importlib.import_module(f"diffbench.cli.{module_name}")
        except ModuleNotFoundError as err:
            if err.name == f"diffbench.cli.{module_name}":
                return None
            raise
        return getattr(module, "command", None)


@click.group(cls=_Group)
@click.version_option(package_name="diffbench")
def cli():
    """Compare symbolic and automatic differentiation on the same functions."""


def main(argv=None):
    """Entry point: user errors become one line on stderr and exit code 2."""
    from .common import user_facing_errors

    _quick_exit()
    try:
        cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except user_facing_errors() as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
    except UserError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
    sys.exit(0)


def _quick_exit() -> None:
    """At exit, after the command's own exit handlers (registered later, so
    run earlier), exempt every live object from the collector: tearing the
    interpreter down collects again and again, and with dask and the report
    loaded (over 100,000 objects) that was about half a second of ``submit``
    (BENCHMARKS.md).  Nothing waits on it: the commands close their stores,
    their processes are gone, and the memory goes back with the process."""
    global _freeze_registered
    if not _freeze_registered:
        atexit.register(gc.freeze)
        _freeze_registered = True


_freeze_registered = False


if __name__ == "__main__":
    main()
