"""Collect a run: the notebooks' files into the run folder, the manifest, the index page.

* ``<run folder>/run.json``: the run manifest (notebooks, parameters, the files each wrote);
* ``<run folder>/index.html``: links to the run's notebooks, figures and tables.

Each notebook wrote its figures and tables into a work folder of its own
(:func:`divides.run.notebooks.work_dir`); :func:`collect_outputs` copies them into the run
folder, refusing two notebooks that write the same file, and the manifest records each file.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

from divides import __version__
from divides.errors import DividesError
from divides.run.notebooks import NotebookRun, done_stamp, work_dir

MANIFEST_NAME = "run.json"


def collect_outputs(root: Path, stems: list[str]) -> dict[str, list[str]]:
    """Copy each notebook's files from its work folder into the run folder; ``stem -> files``.

    Two notebooks writing the same file name is an error: one would overwrite the other.
    A notebook without its done stamp (killed or failed while it ran) is never collected.
    """
    owner: dict[str, str] = {}
    written: dict[str, list[str]] = {}
    for stem in sorted(stems):
        if not done_stamp(root, stem).exists():
            raise DividesError(f"{stem}: its outputs are incomplete (no "
                               f"{done_stamp(root, stem).name}: the notebook did not finish); "
                               "run `divides run` again to execute it")
        work = work_dir(root, stem)
        files = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
        for rel in files:
            if rel in owner:
                raise DividesError(f"{rel}: written by both {owner[rel]} and {stem}; give the "
                                   "file a name that carries what differs")
            owner[rel] = stem
        written[stem] = files
    for stem, files in written.items():
        for rel in files:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work_dir(root, stem) / rel, target)
    return written


def _title(nb_path: Path) -> str:
    """The notebook's first level-1 markdown heading (plain JSON: nbformat imports slowly)."""
    for cell in json.loads(nb_path.read_text(encoding="utf-8")).get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            for line in ("".join(source) if isinstance(source, list) else source).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return nb_path.stem


def write_manifest(root: Path, data: str, changed: dict[str, object],
                   runs: list[NotebookRun], params: dict[str, dict[str, object]],
                   written: dict[str, list[str]], complete: bool = True) -> Path:
    """``run.json``: what this run executed, with which parameters, and every file it wrote.

    A partial run (``complete=False``, ``divides run --only``) into a folder that holds an
    earlier run of the same data and parameters updates its own notebooks' entries and keeps
    the others (with their files), so the folder's manifest and index still describe all its
    notebooks; the notebooks it executed are listed under ``report_stale`` until a complete
    run makes the report again.
    """
    earlier = {} if complete else _same_run(root, data, changed)
    notebooks_part = dict(earlier.get("notebooks", {}))
    for r in sorted(runs, key=lambda r: r.name):
        notebooks_part[r.name] = {
            "parameters": {"data": data, **params.get(r.name, {})},
            "executed": f"notebooks/{r.name}.ipynb",
            "html": f"html/{r.name}.html",
            "files": written.get(r.name, []),
            "status": "failed" if r.error else ("reused" if r.attempts == 0 else "executed"),
            **({"error": r.error} if r.error else {}),
        }
    notebooks_part = dict(sorted(notebooks_part.items()))
    files = sorted({f for entry in notebooks_part.values() for f in entry["files"]})
    stale = set(earlier.get("report_stale", []))
    if not complete and earlier:
        stale |= {r.name for r in runs if r.attempts > 0 or r.error}
    manifest = {
        "divides": __version__,
        "data": data,
        "parameters": changed,
        "notebooks": notebooks_part,
        "figures": [f for f in files if f.startswith("figures/")],
        "tables": [f for f in files if f.startswith("tables/")],
        "report_stale": sorted(stale),
    }
    out = root / MANIFEST_NAME
    out.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


def _same_run(root: Path, data: str, changed: dict[str, object]) -> dict:
    """The folder's earlier manifest when it is of the same data and parameters, else {}."""
    try:
        earlier = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    same = (earlier.get("data") == data
            and json.dumps(earlier.get("parameters"), sort_keys=True)
            == json.dumps(json.loads(json.dumps(changed)), sort_keys=True))
    return earlier if same else {}


def read_manifest(root: Path) -> dict:
    path = root / MANIFEST_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DividesError(f"{path}: no run manifest; run `divides run` first") from None


def write_index(root: Path) -> Path:
    """``<run folder>/index.html``: exactly the notebooks, figures and tables of its manifest."""
    manifest = read_manifest(root)
    data = manifest["data"]
    # a figure's plain twin (no drawn title and footer) is the report's, not another figure
    figures = [root / f for f in manifest["figures"] if f.endswith(".png")
               and not f.endswith(".plain.png")]
    tables = [root / f for f in manifest["tables"]
              if f.rsplit(".", 1)[-1] in ("csv", "md", "tex")]
    listed = set(manifest["figures"])

    def link(p: Path, label: str | None = None) -> str:
        rel = p.relative_to(root).as_posix()
        return f'<a href="{html.escape(rel)}">{html.escape(label or p.name)}</a>'

    heading = f"divides report: {data} data"
    if manifest["parameters"]:
        heading += " (" + ", ".join(f"{k} = {v}" for k, v in
                                    sorted(manifest["parameters"].items())) + ")"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(heading)}</title>",
        ("<style>body{font-family:DejaVu Sans,Arial,sans-serif;max-width:60em;margin:2em auto;"
        "padding:0 1em;line-height:1.5} img{max-width:18em;border:1px solid #ccc;margin:.3em}"
        " figure{display:inline-block;margin:.5em;vertical-align:top;max-width:18em}"
        " figcaption{font-size:.8em} .demo{background:#fff3cd;padding:.5em 1em}</style>"),
        "</head>", "<body>", f"<h1>{html.escape(heading)}</h1>",
    ]
    if data == "demo":
        parts.append('<p class="demo"><strong>Synthetic demo data.</strong> Every number in '
                     "this report comes from the invented demo set, not from the publishers.</p>")
    parts.append(f"<p>divides {html.escape(__version__)}; run manifest: "
                 f"{link(root / MANIFEST_NAME)}.</p>")
    if (root / "report" / "index.html").exists():
        pdf = (' (<a href="report/report.pdf">PDF</a>)'
               if (root / "report" / "report.pdf").exists() else "")
        stale = manifest.get("report_stale", [])
        note = (f" (made before {', '.join(stale)} ran again on its own: a complete "
                "`divides run` makes it anew)" if stale else "")
        parts.append(f'<p><a href="report/index.html">The report</a>{pdf}'
                     f"{html.escape(note)}</p>")
    parts.append("<h2>Notebooks</h2><ol>")
    for stem, entry in sorted(manifest["notebooks"].items()):
        page, executed = root / entry["html"], root / entry["executed"]
        title = _title(executed) if executed.exists() else stem
        nb_link = f" ({link(executed, 'ipynb')})" if executed.exists() else ""
        failed = " <strong>(failed)</strong>" if entry["status"] == "failed" else ""
        parts.append(f"<li>{link(page, title)}{nb_link}{failed}</li>")
    parts.append("</ol>")
    if tables:
        parts.append("<h2>Tables</h2><ul>")
        parts += [f"<li>{link(t)}</li>" for t in tables]
        parts.append("</ul>")
    if figures:
        parts.append("<h2>Figures</h2>")
        for fig in figures:
            rel = html.escape(fig.relative_to(root).as_posix())
            alts = " ".join(link(fig.with_suffix(s), s[1:]) for s in (".svg", ".pdf")
                            if fig.with_suffix(s).relative_to(root).as_posix() in listed)
            parts.append(f'<figure><a href="{rel}"><img src="{rel}" alt="{html.escape(fig.stem)}">'
                         f"</a><figcaption>{html.escape(fig.stem)} {alts}</figcaption></figure>")
    parts += ["</body>", "</html>", ""]
    out = root / "index.html"
    out.write_text("\n".join(parts), encoding="utf-8")
    return out


def report_inputs(root: Path) -> list[Path]:
    """What the report of a run is made of: the run's executed notebooks, figures and
    tables (as its run.json lists them)."""
    manifest = read_manifest(root)
    made = [root / e["executed"] for e in manifest["notebooks"].values()]
    made += [root / f for f in (*manifest["figures"], *manifest["tables"])]
    # the sweeps gathered in this folder (`divides sweep`): the report has a page of them
    made += sorted((root / "sweeps").glob("*/sweep.json"))
    made += sorted((root / "sweeps").glob("*/results.csv"))
    return sorted(p for p in made if p.exists())
