"""The ``imr-etl`` command line."""

from __future__ import annotations

import atexit
import csv
import gc
import json
import logging
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator, NoReturn

import click

from imr_etl.errors import EXIT_BUSY, LetterParseError, exit_status, one_line
from imr_etl.letters import parse_file

log = logging.getLogger("imr_etl")

# At exit the heap is frozen: the interpreter's last garbage collections
# would walk every object a load leaves (0.15-0.2 s of one core after a 5k
# load, with the other idle: benchmarks/README.md) only to free memory the
# process is about to give back whole.
atexit.register(gc.freeze)


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
      imr-etl parse imr_etl/samples/real/CM16-0219557.pdf
      imr-etl parse letters/*.txt letters/*.pdf > records.jsonl

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


# ------------------------------------------------------------------ warehouse

EXIT_QUARANTINED = 2  # load --strict: some letters were quarantined
EXIT_USAGE = 2  # as click's own usage errors
EXIT_NO_LETTERS = 66  # EX_NOINPUT: the paths given hold no letter

db_option = click.option(
    "--db", metavar="PATH_OR_URL", default=None,
    help="The warehouse: a DuckDB file or an SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db "
         "[default: $IMR_ETL_DB, else warehouse/imr.duckdb].")


def _fail(ctx: click.Context, error: Exception) -> NoReturn:
    """End the command with one line on stderr (a traceback only under --verbose)."""
    message = one_line(error)
    if ctx.obj.get("verbose"):
        log.error("%s", message, exc_info=error)
    click.echo(f"error: {message}", err=True)
    sys.exit(exit_status(error))


@contextmanager
def _failing(ctx: click.Context, cleanup: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Any error in the block ends the command with its one line
    (:func:`_fail`), after ``cleanup``."""
    try:
        yield
    except Exception as error:
        cleanup()
        _fail(ctx, error)


@main.command()
@db_option
@click.option("--downgrade", metavar="REVISION", default=None,
              help="Downgrade to REVISION instead ('base' removes every table and view).")
@click.pass_context
def migrate(ctx: click.Context, db: str | None, downgrade: str | None) -> None:
    """Create the warehouse or upgrade it to the latest schema, and (re)create
    the curated views.  `load` does this itself; run it alone to set up an
    empty warehouse or to upgrade one without loading.

    \b
    Example:
      imr-etl migrate
      imr-etl migrate --db /srv/imr/imr.duckdb
    """
    from imr_etl import generations, warehouse

    url = warehouse.resolve_url(db)
    with _failing(ctx), generations.open_writer(url) as engine:
        if downgrade:
            warehouse.downgrade(engine, downgrade)
        else:
            warehouse.migrate(engine)
        revision = warehouse.current_revision(engine)
    head = warehouse.head_revision()
    state = "(latest)" if revision == head else f"(latest is {head})"
    views = f"; {len(warehouse.views())} views" if not downgrade else ""
    click.echo(f"{warehouse.describe(url)}: schema at revision {revision or 'base'} {state}{views}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@db_option
@click.option("--strict", is_flag=True,
              help=f"Exit with status {EXIT_QUARANTINED} when any letter was quarantined (for cron alerting).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
@click.option("--force", is_flag=True,
              help="Re-read, re-extract and rewrite every letter, even unchanged ones (not needed after an "
                   "upgrade: a load re-derives the letters a new release parses otherwise).")
@click.option("--wait", type=click.FloatRange(min=0), default=0, metavar="SECONDS",
              help=f"If another load is writing the warehouse, wait up to SECONDS for it "
                   f"[default: 0: exit at once with status {EXIT_BUSY}].")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Parse in N worker processes [default: one per core; 1: in this process].")
@click.option("--keep-parses/--no-keep-parses", default=True, show_default=True,
              help="Keep the grammar's output of each letter beside a DuckDB warehouse (<db>.parses, ~2 KB a "
                   "letter), so that a release that changes only vocabularies or classifiers re-derives the "
                   "letters without parsing them again.")
@click.pass_context
def load(ctx: click.Context, paths: tuple[Path, ...], db: str | None, strict: bool, quiet: bool,
         force: bool, wait: float, jobs: int | None, keep_parses: bool) -> None:
    """Load letters into the warehouse, migrating it first.

    PATHS are letter files and directories (searched recursively for *.txt
    and *.pdf); with none, the sample letters shipped with imr-etl (seeds
    and real).  A PDF's text is extracted with PDFium; one without text (a
    scan), one that needs a password and a broken one are quarantined.  A
    PDF with a .txt of the same name beside it is that letter again: the
    .txt is loaded and the PDF skipped.

    A letter is identified by its case number, else its file path.  An
    unchanged letter (same content) is skipped, a changed one replaces its
    rows, so running the same load twice changes nothing.  A letter that
    cannot be parsed or written goes to etl_quarantine (see the v_quarantine
    view) with its reason and text; the others still load and the command
    exits 0 unless --strict.  Ends with one summary line.

    Files are parsed on every core.  A file whose size and modification time
    are as when it was last loaded is skipped without reading it.  On a
    terminal a progress bar shows letters/s, the time left and how many were
    quarantined; with --quiet or in cron, only the summary line.

    \b
    Example:
      imr-etl load
      imr-etl load letters/2016/ --db warehouse/imr.duckdb --strict --quiet
    """
    import imr_etl

    for path in paths:  # one line naming it, not click's usage text
        if not path.exists():
            click.echo(f"error: {path}: no such file or directory", err=True)
            sys.exit(EXIT_USAGE)
    bar = None
    if not quiet and sys.stderr.isatty():
        from imr_etl.discover import DEFAULT_PATHS
        from imr_etl.progress import Bar

        bar = Bar(paths or DEFAULT_PATHS)

    def quarantined(q) -> None:
        if quiet:
            return
        if bar is not None:
            bar.write(f"quarantined {q.message()}")
        else:
            click.echo(f"quarantined {q.message()}", err=True)

    with _failing(ctx, cleanup=lambda: bar is not None and bar.close()):
        summary = imr_etl.load(paths, db, force=force, wait=wait, jobs=jobs, on_quarantine=quarantined,
                               progress=bar, keep_parses=keep_parses)
    if bar is not None:
        bar.close()
    if paths and not summary.seen:
        click.echo(f"error: no letters found in {', '.join(map(str, paths))} "
                   f"(a letter is a .txt or .pdf file; directories are searched recursively)", err=True)
        sys.exit(EXIT_NO_LETTERS)
    if summary.skipped and not quiet:
        click.echo(f"skipped {summary.skipped} PDF files: each has its letter's text beside it "
                   f"as a .txt file of the same name, loaded instead", err=True)
    click.echo(summary.line())
    if strict and summary.quarantined:
        sys.exit(EXIT_QUARANTINED)


@main.command()
@click.argument("name", required=False)
def views(name: str | None) -> None:
    """List the curated views with what each holds, or print one's definition.

    Every view is created by `load` and `migrate`; each file in sql/ opens
    with the view's grain and columns.

    \b
    Example:
      imr-etl views
      imr-etl views v_overturn_rate_by_treatment
    """
    from imr_etl.warehouse import views as curated

    found = curated()
    if name:
        match = [v for v in found if v.name == name]
        if not match:
            raise click.BadParameter(f"no view {name!r}; `imr-etl views` lists them", param_hint="NAME")
        click.echo(match[0].sql.rstrip())
        return
    width = max(len(v.name) for v in found)
    for view in found:
        click.echo(f"{view.name:<{width}}  {view.description}")


@main.command()
@click.argument("query")
@db_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@click.option("--max-width", type=click.IntRange(min=4), default=48, show_default=True,
              help="Cut table cells to this many characters.")
@click.pass_context
def sql(ctx: click.Context, query: str, db: str | None, as_csv: bool, max_width: int) -> None:
    """Run a query on the warehouse (read-only) and print the result as a table.

    \b
    Example:
      imr-etl sql "SELECT * FROM v_overturn_rate_by_treatment ORDER BY decisions DESC LIMIT 10"
      imr-etl sql --csv "SELECT * FROM v_decisions" > decisions.csv
    """
    from imr_etl import dialect, warehouse

    with _failing(ctx), warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn:
        result = dialect.run(conn, query)  # as written: no bind-parameter parsing
        columns = list(result.keys()) if result.returns_rows else []
        records = [tuple(r) for r in result] if result.returns_rows else []
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(records)
        return
    click.echo(_table(columns, records, max_width))


@main.command()
@db_option
@click.pass_context
def check(ctx: click.Context, db: str | None) -> None:
    """Run the data-quality assertions on the warehouse; exit 1 if any fails.

    For the nightly job, after `load`: every decision has its letter, service
    and reviewer; every citation its decision; rates lie in [0, 1]; the load
    runs' counts reconcile with the tables; no file is both loaded and
    quarantined.  Prints one line per failed check (with examples), then
    "N of M checks hold".

    \b
    Example:
      imr-etl load --quiet && imr-etl check
    """
    import imr_etl

    with _failing(ctx):
        results = imr_etl.check(db)
    failed = [r for r in results if not r.ok]
    for result in failed:
        examples = ", ".join(result.examples)
        click.echo(f"FAILED {result.check.name}: {result.check.description} "
                   f"({result.violations} violation(s), e.g. {examples})")
    click.echo(f"{len(results) - len(failed)} of {len(results)} checks hold")
    if failed:
        sys.exit(1)


@main.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.pass_context
def report(ctx: click.Context, out: Path, db: str | None) -> None:
    """Write an HTML report of the warehouse to OUT.

    One self-contained page (inline CSS and SVG charts, nothing fetched, so
    it opens offline): the overturn rate by treatment type with its 95%
    interval, decisions and overturn rate by letter year, guideline citations
    by source and document, the overturn rate by reviewer specialty, and the
    load health (the last runs, the quarantined letters).  Each chart says
    what it shows and how many decisions stand behind it, with its data as a
    table.  Reads only the curated views, opening the warehouse read-only.

    \b
    Example:
      imr-etl report report.html
      imr-etl report --db /srv/imr/imr.duckdb /srv/www/imr/index.html
    """
    import imr_etl

    with _failing(ctx):
        imr_etl.report(out, db)
    click.echo(f"wrote {out}")


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@db_option
@click.option("--format", "fmt", type=click.Choice(["parquet"]), default="parquet", show_default=True,
              help="The file format.")
@click.option("--tables", is_flag=True, help="Also export the star schema's tables (dim_*, bridge_*, fact_*).")
@click.pass_context
def export(ctx: click.Context, out_dir: Path, db: str | None, fmt: str, tables: bool) -> None:
    """Write each curated view (and with --tables each star schema table) to
    OUT_DIR/<name>.parquet, for BI tools and notebooks that read files.

    DuckDB writes the files, from a DuckDB or a PostgreSQL warehouse alike.
    Files of the same name are replaced; each appears whole or not at all.
    Prints one line per file, then a summary.

    \b
    Example:
      imr-etl export --format parquet exports/
      imr-etl export exports/ --tables --db postgresql+psycopg://imr@db.internal/imr
    """
    import imr_etl

    with _failing(ctx):
        written = imr_etl.export(out_dir, db, tables=tables, fmt=fmt)
    width = max(len(e.path.name) for e in written)
    for exported in written:
        click.echo(f"{exported.path.name:<{width}}  {exported.rows:>9,} row{'s' if exported.rows != 1 else ''}")
    click.echo(f"wrote {len(written)} {fmt} files ({sum(e.rows for e in written):,} rows) to {out_dir}")


def _cell(value: object, width: int) -> str:
    if value is None:
        text = "NULL"
    elif isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
    elif isinstance(value, (date, datetime)):
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(columns: list[str], records: list[tuple], width: int) -> str:
    """An aligned text table: numbers right, text left, then the row count."""
    cells = [[_cell(v, width) for v in r] for r in records]
    numeric = [all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) or r[i] is None
                   for r in records) for i in range(len(columns))]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(records)} row{'s' if len(records) != 1 else ''})")
    return "\n".join(out)


# --------------------------------------------------------------------- docs


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def docs(out_dir: Path) -> None:
    """Write the data dictionary, in Markdown, to OUT_DIR.

    README.md lists every table and view with its grain; one page per table
    or view gives its columns, types and descriptions.  It is generated from
    the warehouse the migrations build and from the views' opening comments,
    so it cannot drift; the committed copy is docs/dictionary/ (a test fails
    when it is stale).

    \b
    Example:
      imr-etl docs docs/dictionary
    """
    from imr_etl import dictionary

    written = dictionary.write(out_dir)
    click.echo(f"wrote the data dictionary to {out_dir}: {len(written) - 1} tables and views")


# -------------------------------------------------------------------- synth


@main.command()
@click.argument("n", type=click.IntRange(min=1))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True,
              help="The same seed writes the same corpus, byte for byte.")
@click.option("--force", is_flag=True,
              help="Write into a non-empty OUT_DIR, first deleting the letters its manifest lists.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing.")
def synth(n: int, out_dir: Path, seed: int, force: bool, quiet: bool) -> None:
    """Write N synthetic letters with known ground truth to OUT_DIR.

    Letters in the seed format, about half with the published header block,
    with 1-6 disputed items over the whole treatment taxonomy, and the
    extraction noise the normalizer handles (wrapping, blank lines, page
    furniture, typographic quotes, CRLF).  OUT_DIR/manifest.jsonl has one
    JSON object per letter: its path (relative to OUT_DIR), sha256, and
    exactly what `imr-etl parse` should produce for header, reviewer,
    patient, diagnoses and items with their citations (not the items'
    rationale and span).  Above 1,000 letters, files go in subdirectories of
    1,000.  See imr_etl/synth.py.

    \b
    Example:
      imr-etl synth 20000 /tmp/imr-corpus --seed 7
      imr-etl load /tmp/imr-corpus --db /tmp/imr-corpus.duckdb
    """
    import time

    from imr_etl import synth as synthetic

    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise click.ClickException(f"{out_dir} is not empty (--force writes into it, first "
                                       "deleting the letters its manifest lists)")
        for path in synthetic.previous_files(out_dir):
            path.unlink(missing_ok=True)
            if path.parent != out_dir and not any(path.parent.iterdir()):
                path.parent.rmdir()
    started = time.perf_counter()
    manifest = synthetic.generate(n, out_dir, seed)
    elapsed = time.perf_counter() - started
    if not quiet:
        click.echo(f"wrote {n:,} letters to {out_dir} in {elapsed:.1f} s "
                   f"({n / elapsed:,.0f} letters/s); manifest: {manifest}")


if __name__ == "__main__":
    main()
