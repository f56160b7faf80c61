"""The ``divides`` command: one subcommand per user task, nothing else.

Each subcommand parses its arguments and calls one function of the package. Errors
become a one-line message and a non-zero exit (2 for bad input, 1 otherwise); pass
``--debug`` for the traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from divides import __version__

DATA_CHOICES = ("demo", "real")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {text!r}")
    return value


def _host_url(text: str) -> tuple[str, str]:
    host, sep, url = text.partition("=")
    if not sep or not host or not url:
        raise argparse.ArgumentTypeError(f"expected HOST=URL (e.g. api.worldbank.org="
                                         f"http://127.0.0.1:8000), found {text!r}")
    return host, url


def _cmd_fetch(args: argparse.Namespace) -> int:
    from divides import config
    from divides.acquire import fetch
    from divides.errors import DividesError

    if args.update and args.origin == "pinned":
        raise DividesError("--update takes the publishers' newest editions; it does not apply "
                           "to --from pinned")
    origin = args.origin or ("publishers" if args.update else "pinned")
    if origin == "pinned" and args.host_url:
        raise DividesError("--host-url applies to --from publishers (or --update); the pinned "
                           "copies use --base-url")
    if origin == "publishers" and args.base_url is not None:
        raise DividesError("--base-url applies to --from pinned; redirect a publisher host "
                           "with --host-url HOST=URL")
    if origin == "pinned" and args.lock is not None:
        raise DividesError("--lock applies to --from publishers (or --update)")
    if args.list:
        if origin != "publishers":
            raise DividesError("--list lists the publishers' endpoints: use it with --from "
                               "publishers")
        from divides.acquire import publishers

        lines = publishers.list_endpoints(args.sources or None)
        print("source\tpath\tcode\tkind\turl")
        print("\n".join(lines))
        print(f"divides fetch: {len(lines)} endpoints listed (nothing downloaded)")
        return 0
    dest = args.dest or config.FETCHED_RAW_DIR
    if origin == "pinned":
        # A progress bar only on a terminal, so logs and error output stay one line per event.
        paths = fetch.fetch(args.sources or None, dest=args.dest, base_url=args.base_url,
                            progress=sys.stderr.isatty(), timeout_s=args.timeout,
                            deadline_s=args.deadline)
        print(f"divides fetch: {len(paths)} files verified in {dest}")
        return 0
    from divides.acquire import publishers
    from divides.errors import DownloadError

    try:
        result = publishers.fetch_publishers(args.sources or None, dest=args.dest,
                                             update=args.update, lock_path=args.lock,
                                             hosts=dict(args.host_url or []),
                                             timeout_s=args.timeout, deadline_s=args.deadline,
                                             accept_shrink=args.accept_shrink)
    except DownloadError as exc:
        for change in getattr(getattr(exc, "result", None), "changes", []):
            print(f"divides fetch: {change.describe()}")
        raise
    for change in result.changes:
        print(f"divides fetch: {change.describe()}")
    if args.update:
        print(f"divides fetch: {len(result.paths)} files from the publishers in {dest}; "
              f"lock rewritten: {result.lock_path}")
    else:
        seed = (" (no lock yet: the catalogue's seed of known publisher hashes; run --update "
                "to lock every endpoint)") if result.seeded else ""
        print(f"divides fetch: {len(result.paths)} files verified against "
              f"{result.lock_path}{seed}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from divides import demo

    demo.write_demo(out_dir=args.out, seed=args.seed)
    return 0


def _demo_step(data: str, raw_dir=None) -> None:
    """The explicit demo step before a command that builds demo data from the default
    folder: the synthetic set is written when missing or stale (path resolution never
    writes it)."""
    if data == "demo" and raw_dir is None:
        from divides import demo

        demo.ensure_demo()


def _cmd_build(args: argparse.Namespace) -> int:
    from divides.build import panel

    _demo_step(args.data, args.raw_dir)
    result = panel.build(data=args.data, raw_dir=args.raw_dir, force=args.force)
    print(result.summary())
    return 0


def _cmd_codebook(args: argparse.Namespace) -> int:
    from divides.report import codebook

    if not args.no_build:
        _demo_step(args.data)
    for path in codebook.write_codebook(data=args.data, build=False if args.no_build else None):
        print(f"wrote {path}")
    return 0


def _cmd_specs(args: argparse.Namespace) -> int:
    """Load the panel and gaps, run the curve, write reports/<data>/specs/ (tables only: the
    figure is drawn by notebook 05 through the figure registry, and `divides figures`
    redraws it from the inputs that notebook saved). A folder of its own: the run's
    tables/ folder is written by the notebooks alone, so no file there has two writers."""
    from divides import build, config
    from divides.models import case, speccurve

    _demo_step(args.data)
    panel = build.load_panel(data=args.data)
    try:
        gaps = build.load_gaps(data=args.data)
    except Exception as exc:  # noqa: BLE001 - the curve runs without gap regressors
        print(f"divides specs: gaps table unavailable ({exc}); running without gap measures")
        gaps = None
    curve = speccurve.run(panel, gaps, backend=args.backend, scheduler=args.scheduler,
                          workers=args.workers, draws=args.draws)
    tables = config.reports_dir(args.data) / "specs"
    tables.mkdir(parents=True, exist_ok=True)
    paths = speccurve.write(curve, tables)
    # the ASAN case's data choices (outcome source x treatment year 2012/2013), see case.py
    case_path = tables / "case_specs.csv"
    case_path.write_bytes(case.case_specs(panel).to_csv(
        index=False, float_format="%.10g", lineterminator="\n").encode("utf-8"))
    paths.append(case_path)
    print(f"divides specs: {curve.notes['n_ok']} of {curve.notes['n_specs']} specifications "
          f"estimated, {curve.notes['draws']} null-imposed bootstrap draws ({args.backend}); "
          "wrote " + ", ".join(str(p) for p in paths))
    for col, what in curve.notes.get("gap_columns", {}).items():
        print(f"divides specs: {col} = {what}")
    for col, why in curve.notes.get("gap_missing", {}).items():
        print(f"divides specs: {col} left out: {why}")
    return 0


def _width(text: str) -> str | float:
    """``single``, ``double`` or a width in inches (1.5-20)."""
    from divides.figures import style

    value: str | float = text if text in style.JOURNAL_WIDTHS_IN else _inches(text)
    try:
        style.column_width(value)
    except ValueError as why:
        raise argparse.ArgumentTypeError(str(why)) from None
    return value


def _inches(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected single, double or inches (e.g. 3.5), "
                                         f"found {text!r}") from None


def _formats(text: str) -> tuple[str, ...]:
    """Comma-separated formats, each one of the export's."""
    from divides.figures import export

    found = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = [f for f in found if f not in export.ALL_FORMATS]
    if unknown or not found:
        raise argparse.ArgumentTypeError(f"expected some of {','.join(export.ALL_FORMATS)} "
                                         f"(comma-separated), found {text!r}")
    return tuple(dict.fromkeys(found))


def _cmd_figures(args: argparse.Namespace) -> int:
    from divides.figures import gallery

    _demo_step(args.data)
    result = gallery.export_all(data=args.data, width=args.width, dpi=args.dpi,
                                formats=args.format, grayscale=args.grayscale,
                                decorations=not args.no_decorations, only=args.only,
                                out_dir=args.out)
    return 0 if result.written or not result.skipped else 1


def _cmd_run(args: argparse.Namespace) -> int:
    from divides.run import graph, notebooks, runner

    if args.list:
        print(notebooks.list_parameters(args.only, args.data), end="")
        return 0
    params = notebooks.parse_assignments(args.param)
    if args.graph:
        print(graph.text(args.data, args.only, params), end="")
        return 0
    return runner.run(data=args.data, only=args.only, jobs=args.jobs, params=params,
                      force=args.force)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from divides.run import sweep

    return sweep.run(data=args.data, only=args.only, params=args.param, grid_file=args.grid,
                     scheduler=args.scheduler, workers=args.workers, force=args.force)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="divides",
        description="Digital divides and good governance: fetch, build, model, plot, report.",
    )
    parser.add_argument("--version", action="version", version=f"divides {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("fetch", help="download the publishers' files into data/raw/real/")
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="source ids (default: all)")
    p.add_argument("--dest", default=None, help="target folder (default: data/raw/real)")
    p.add_argument("--from", dest="origin", choices=("pinned", "publishers"), default=None,
                   help="pinned: the pinned repository copies of downloads.csv (default); "
                        "publishers: the publishers' own endpoints, reproducing the lock")
    p.add_argument("--update", action="store_true",
                   help="take the publishers' newest editions, rewrite the lock and report "
                        "what changed per file (implies --from publishers)")
    p.add_argument("--accept-shrink", action="store_true",
                   help="with --update: replace a file even when the new one has far fewer "
                        "rows than the one on disk (refused otherwise)")
    p.add_argument("--lock", default=None,
                   help="the publishers lock file (default: DEST/publishers.lock.json)")
    p.add_argument("--host-url", action="append", type=_host_url, metavar="HOST=URL",
                   help="fetch a publisher host's URLs from this base URL instead "
                        "(repeatable; --from publishers)")
    p.add_argument("--base-url", default=None,
                   help="fetch every pinned file from this mirror laid out like "
                        "../shared/data/real (--from pinned)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="give up a connection or read after this many seconds without data "
                        "(default 60)")
    p.add_argument("--deadline", type=float, default=None, metavar="SECONDS",
                   help="stop the whole fetch after this many seconds (default 3600), "
                        "reporting what was found")
    p.add_argument("--list", action="store_true",
                   help="with --from publishers: list the catalogue's endpoints (source, "
                        "path, code, kind, URL) of the chosen sources, then stop (nothing "
                        "is downloaded)")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("demo", help="write the synthetic demo data set into data/raw/demo/")
    p.add_argument("--out", default=None, help="target folder (default: data/raw/demo)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: demo_params.toml)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("build", help="build observations, panel, gaps, drops and coverage")
    p.add_argument("--data", choices=DATA_CHOICES, default="demo")
    p.add_argument("--raw-dir", default=None, help="raw-data root (default by --data)")
    p.add_argument("--force", action="store_true", help="rebuild even when inputs are unchanged")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("codebook", help="write reports/<data>/codebook.md, .csv, .json and "
                       "citations.bib/.json")
    p.add_argument("--data", choices=DATA_CHOICES, default="demo")
    p.add_argument("--no-build", action="store_true",
                   help="use the existing build in data/processed/<data>/ as it is (no raw "
                   "files needed; by default it builds, or falls back to the build when the "
                   "raw files are absent)")
    p.set_defaults(func=_cmd_codebook)

    p = sub.add_parser("specs", help="run the specification curve into reports/<data>/specs/ "
                       "(tables only; the figure comes from notebook 05 and `divides figures`)")
    p.add_argument("--data", choices=DATA_CHOICES, default="demo")
    p.add_argument("--backend", choices=("serial", "processes", "dask"), default="serial")
    p.add_argument("--scheduler", default=None, help="dask scheduler address (default: local)")
    p.add_argument("--workers", type=_positive_int, default=2)
    p.add_argument("--draws", type=int, default=None,
                   help="null-imposed bootstrap draws of the whole curve (default: the grid's, "
                        "999; 0 skips the curve inference)")
    p.set_defaults(func=_cmd_specs)

    p = sub.add_parser("figures", help="export every figure of the registry for a journal "
                       "into reports/<data>/figures/export/ (model figures from the inputs "
                       "the notebooks saved)")
    p.add_argument("--data", choices=DATA_CHOICES, default="demo")
    p.add_argument("--width", type=_width, default="single",
                   help="single (3.5 in), double (7.2 in) or inches (default: single)")
    p.add_argument("--dpi", type=_positive_int, default=600,
                   help="resolution of TIFF and PNG (default: 600)")
    p.add_argument("--format", type=_formats, default=("tiff", "eps", "pdf"),
                   help="comma-separated, some of tiff,eps,pdf,png,svg (default: tiff,eps,pdf)")
    p.add_argument("--grayscale", action="store_true",
                   help="a palette whose colours differ in gray (and marker shapes)")
    p.add_argument("--no-decorations", action="store_true",
                   help="leave out the drawn title and source footer (the caption says them)")
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help="registry names or file stems (default: all)")
    p.add_argument("--out", type=Path, default=None,
                   help="folder to write into (default: reports/<data>/figures/export/)")
    p.set_defaults(func=_cmd_figures)

    p = sub.add_parser("run", help="run the pipeline: read, build, spec curve, codebook, "
                       "notebooks, report (only the steps whose inputs changed)")
    p.add_argument("--data", choices=DATA_CHOICES, default="demo")
    p.add_argument("--only", nargs="+", default=None, metavar="NAME",
                   help="notebook names (or prefixes such as 03) to run")
    p.add_argument("--jobs", type=_positive_int, default=None,
                   help="steps at once (default: the CPUs this process may use)")
    p.add_argument("-p", "--param", action="append", default=None, metavar="NAME=VALUE",
                   help="set a notebook parameter (repeatable; NOTEBOOK:NAME=VALUE for one "
                        "notebook, e.g. 03:outcome=cpi_score; parsed by the type of its "
                        "default, lists as a,b; checked against its kind before anything "
                        "runs). A run with non-default values writes into "
                        "reports/<data>/runs/<slug>/")
    p.add_argument("--list", action="store_true",
                   help="list every notebook with its parameters, defaults, kinds and the values "
                        "they allow (from the --data build when there is one), then stop")
    p.add_argument("--graph", action="store_true",
                   help="print the run's steps, what each reads and which steps it follows, "
                        "then stop (nothing is run)")
    p.add_argument("--force", action="store_true",
                   help="run every step, even those whose inputs, code and parameters are "
                        "unchanged since their last run")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("sweep", help="run notebooks once per combination of parameter values "
                       "(a grid), on dask, and gather their headline estimates in one table")
    p.add_argument("--data", choices=DATA_CHOICES, default=None,
                   help="data kind (default: the grid file's, else demo)")
    p.add_argument("--only", nargs="+", default=None, metavar="NAME",
                   help="notebook names or prefixes (default: the grid file's)")
    p.add_argument("-p", "--param", action="append", default=None, metavar="NAME=A,B,...",
                   help="a parameter and its values, one member each (repeatable: every "
                        "combination is a member). Values are separated by commas; for a "
                        "list parameter members are separated by ';' and a member's items by "
                        "commas (-p \"controls=a;a,b\"). Each member runs as `divides run "
                        "--only ... -p name=value` would, into the same folder")
    p.add_argument("--grid", default=None, metavar="FILE.toml",
                   help="the grid from a TOML file ([grid] name = [values]; see "
                        "docs/sweeps.md and sweeps/)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a running dask scheduler (e.g. tcp://10.0.0.5:8786; default: a local "
                        "cluster)")
    p.add_argument("--workers", type=_positive_int, default=2,
                   help="worker processes of the local cluster (default 2)")
    p.add_argument("--force", action="store_true",
                   help="execute every member, even those whose outputs are up to date "
                        "(and make the shared build and spec curve anew, as `divides run "
                        "--force` does)")
    p.set_defaults(func=_cmd_sweep)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # --debug is accepted anywhere on the line (``divides build --debug`` too).
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    args = parser.parse_args([a for a in argv if a != "--debug"])
    args.debug = debug
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("divides: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        from divides import fileio
        from divides.errors import DiskFullError, DividesError

        if isinstance(exc, OSError) and not isinstance(exc, DiskFullError) \
                and exc.errno in fileio.NO_SPACE:
            # a writer outside fileio's guards: the same one line, naming the file when the
            # error knows it
            exc = DiskFullError(exc.filename or "a file of this step", exc)
        code = 2 if isinstance(exc, (DividesError, FileNotFoundError, ValueError)) else 1
        # One line, whatever the exception holds (pandera and pandas messages span lines).
        message = " ".join(str(exc).split()) or type(exc).__name__
        if code == 1:  # not a known input problem: probably a bug, say how to see more
            message = f"{type(exc).__name__}: {message} (run with --debug for the traceback)"
        print(f"divides {args.command}: error: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
