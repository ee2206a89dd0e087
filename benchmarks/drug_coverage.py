"""Which names the drugs of real letters: our table or a drug-name library?

Compares ``imr_etl.drugs`` (vocab/drugs.csv) with the maintained library
``drug-named-entity-recognition`` (PyPI) on the pharmaceutical items of the
sample letters: for each item whose record has dwc_category Pharmaceuticals,
does each give the generic that reading the service gives
(benchmarks/drug_coverage_expected.csv, written by hand)?  Also the time per
call and the size of what each needs installed.  docs/drugs.md has the
figures and the choice.

    PYTHONPATH=$PWD .venv/bin/imr-etl parse imr_etl/samples/real/*.txt \\
        imr_etl/samples/seeds/*.txt > /tmp/records.jsonl
    python3 -m venv /tmp/dner && /tmp/dner/bin/pip install drug-named-entity-recognition
    PYTHONPATH=$PWD /tmp/dner/bin/python benchmarks/drug_coverage.py /tmp/records.jsonl

imr_etl.drugs needs nothing beyond the standard library, so the scratch venv
runs both.  Without the library installed (any other Python) it measures the
table alone and says so.
"""

from __future__ import annotations

import csv
import importlib.metadata
import json
import re
import resource
import statistics
import sys
import time
from pathlib import Path

from imr_etl import drugs

HERE = Path(__file__).resolve().parent
LIBRARY = "drug-named-entity-recognition"
RUNS = 7


def items(lines) -> list[tuple[str, str]]:
    """(case, service) of every Pharmaceuticals item of the records."""
    out = []
    for line in lines:
        record = json.loads(line)
        case = Path(record["source_path"]).stem
        out += [(case, item["service"]) for item in record["items"] if item["dwc_category"] == "Pharmaceuticals"]
    return out


def expected() -> dict[tuple[str, str], str]:
    with open(HERE / "drug_coverage_expected.csv", encoding="utf-8", newline="") as f:
        return {(row["case"], row["service"]): row["generic"] for row in csv.DictReader(f)}


def ours(service: str) -> str | None:
    drugs._named.cache_clear()  # uncached: the cost of a service seen the first time
    found = drugs.drug.__wrapped__(service)
    return found and found["generic"]


def library():
    """(the library's generic of a service, the same with its names tidied,
    (import seconds, MiB of memory the import took)), or Nones when it is
    not installed."""
    try:
        started, rss = time.perf_counter(), _peak_rss()
        from drug_named_entity_recognition import find_drugs
    except ImportError:
        return None, None, None
    imported = time.perf_counter() - started, _peak_rss() - rss

    def names(service: str) -> list[str]:
        # Words alone (split at "/", "-", digits, brackets): the tokens its
        # examples pass, and what lets it see "Hydrocodone/APAP" as two names.
        found = find_drugs(re.findall(r"[A-Za-z]+", service), is_ignore_case=True)
        out: list[str] = []
        for data, *_ in found:
            out += [n for n in data.get("name", "").lower().split("/") if n and n not in out]
        return out

    def generic(service: str) -> str | None:
        return "/".join(names(service)) or None

    def tidied(service: str) -> str | None:
        # Its canonical names carry forms and uses ("lidocaine patch",
        # "buprenorphine buccal (chronic pain)"): the benefit of the doubt.
        out: list[str] = []
        for name in names(service):
            name = " ".join(w for w in _UNSAID.sub("", name).split() if w not in _FORM_WORDS)
            out += [name] if name and name not in out else []
        return "/".join(out) or None
    return generic, tidied, imported


def _peak_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)


_UNSAID = re.compile(r"\s*\(.*?\)")
_FORM_WORDS = {"patch", "gel", "cream", "spray", "sublingual", "buccal", "and", "oral", "topical"}


def table_names(generic) -> None:
    """How many of our table's names the library resolves to the row's ingredients."""
    hits, totals = {}, {}
    for row in drugs.vocabulary.rows("drugs.csv"):
        kind = ("compounded product" if row["compound"] else "nutritional product"
                if row["drug_class"] == "Nutritional Products" else "brand" if row["brand"] else "generic")
        got = generic(row["name"])
        totals[kind] = totals.get(kind, 0) + 1
        hits[kind] = hits.get(kind, 0) + (bool(got) and set(got.split("/")) == set(row["generic"].split("/")))
    print(f"  of our table's {sum(totals.values())} names it resolves {sum(hits.values())} to the same "
          "ingredients: " + ", ".join(f"{kind}s {hits[kind]}/{totals[kind]}" for kind in totals))


def installed_size(distribution: str, seen: set[str] | None = None) -> int:
    """Bytes of a distribution's files and of everything it requires."""
    seen = set() if seen is None else seen
    dist = importlib.metadata.distribution(distribution)
    if dist.metadata["Name"].lower() in seen:
        return 0
    seen.add(dist.metadata["Name"].lower())
    size = sum(f.size or 0 for f in dist.files or [])
    for requirement in dist.requires or []:
        if "extra ==" not in requirement:
            size += installed_size(re.match(r"[A-Za-z0-9._-]+", requirement).group(), seen)
    return size


def score(name: str, method, cases: list[tuple[tuple[str, str], str]]) -> None:
    exact = same_set = 0
    misses = []
    for (case, service), want in cases:
        got = method(service)
        exact += got == want
        same_set += bool(got) and set(got.split("/")) == set(want.split("/"))
        if got != want:
            misses.append(f"    {case}  {service[:60]!r}: {got!r} (reading: {want!r})")
    times = []
    services = [service for (_, service), _ in cases]
    for _ in range(RUNS):
        started = time.perf_counter()
        for service in services:
            method(service)
        times.append((time.perf_counter() - started) / len(services))
    print(f"{name:46} {exact:3}/{len(cases)} exact  {same_set:3}/{len(cases)} same ingredients  "
          f"{statistics.median(times) * 1e6:9.1f} µs a call")
    for miss in misses:
        print(miss)


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin as f:
        found = items(f)
    answers = expected()
    cases = [(key, answers[key]) for key in found if key in answers]
    unread = [key for key in found if key not in answers]
    print(f"{len(found)} Pharmaceuticals items; {len(cases)} with a hand-read generic")
    for case, service in unread:
        print(f"  not read by hand (left out): {case} {service!r}")
    started, rss = time.perf_counter(), _peak_rss()
    drugs.drug.__wrapped__("Norco 10/325mg #60")  # reads the tables
    loaded = time.perf_counter() - started, _peak_rss() - rss
    tables = [HERE.parent / "imr_etl" / "vocab" / name for name in ("drugs.csv", "dose_forms.csv")]
    print(f"\nour table: {sum(p.stat().st_size for p in tables) / 1024:.0f} KiB of CSV "
          f"({sum(1 for p in tables[:1] for _ in open(p)) - 1} names), no dependency; "
          f"read in {loaded[0]:.2f} s, +{loaded[1]:.0f} MiB peak memory")
    score("imr_etl.drugs (table)", ours, cases)
    generic, tidied, imported = library()
    if generic is None:
        print(f"\n{LIBRARY} is not installed in this Python ({sys.executable}): measured the table alone.")
        return
    version = importlib.metadata.version(LIBRARY)
    print(f"\n{LIBRARY} {version}: {installed_size(LIBRARY) / 2**20:.1f} MiB installed with its "
          f"requirements; import {imported[0]:.2f} s, +{imported[1]:.0f} MiB peak memory")
    score(LIBRARY, generic, cases)
    score(f"{LIBRARY}, names tidied", tidied, cases)
    table_names(tidied)

if __name__ == "__main__":
    main()
