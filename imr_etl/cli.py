"""The ``imr-etl`` command line."""

from __future__ import annotations

import json
import logging
import sys

import click

from imr_etl.letters import LetterParseError, parse_file

log = logging.getLogger("imr_etl")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, help="Show full tracebacks and debug logging.")
@click.version_option(package_name="imr-etl")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Turn IMR Final Determination Letters into a queryable warehouse."""
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--indent", type=int, default=None, help="Pretty-print with this indent (one file).")
@click.pass_context
def parse(ctx: click.Context, files: tuple[str, ...], indent: int | None) -> None:
    """Parse letters and print one JSON record per letter (JSON Lines).

    \b
    Example:
      imr-etl parse imr_etl/samples/seeds/000_a5f95da6f992a566.txt
      imr-etl parse letters/*.txt > records.jsonl

    A file that does not parse prints one line on stderr (file:line:column:
    what was found and expected) and the command exits with status 2 after
    printing the records of the files that did parse.
    """
    failed = False
    for path in files:
        try:
            record = parse_file(path)
        except LetterParseError as error:
            failed = True
            _report(ctx, error)
            continue
        except Exception as error:  # a bug of ours: still one line, unless --verbose
            failed = True
            _report(ctx, error, prefix=f"{path}: internal error: ")
            continue
        click.echo(json.dumps(record, ensure_ascii=False, indent=indent))
    if failed:
        sys.exit(2)


def _report(ctx: click.Context, error: Exception, prefix: str = "") -> None:
    if ctx.obj.get("verbose"):
        log.exception("%s%s", prefix, error)
    click.echo(f"{prefix}{error}", err=True)


if __name__ == "__main__":
    main()
