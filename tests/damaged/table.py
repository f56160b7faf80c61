"""Print the corpus table of README.md: case, what the project did, and the message.

    .venv/bin/python tests/damaged/table.py > /tmp/table.md

Runs every case the way ``test_damaged.py`` does (demo set first, seed files second).
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

# run as a script: make tests/ importable, as pytest does through its pythonpath setting
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from damaged import test_damaged as t

    from divides.demo import write_demo
    from divides.errors import DividesError

    cases, seeds = t.cases, t.seeds
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roots = [Path(write_demo(out_dir=tmp / "demo")), seeds.write_seeds(tmp / "seeds")]
        print("| case | damage | file | the project did | message / drop |")
        print("|---|---|---|---|---|")
        for k, case in enumerate(cases.CASES):
            out = tmp / f"case{k}"
            out.mkdir()
            src, damaged = t.damage(case, roots, tmp / "trim", out)
            origin = ("demo" if roots[0] in src.parents else
                      "demo (first 300 rows)" if tmp / "trim" in src.parents else "seed")
            if case.expect == "error":
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        t.module(case.source).read(damaged.path)
                    did, text = "NO ERROR", ""
                except DividesError as exc:
                    did, text = f"{type(exc).__name__}", str(exc)
                    if len(text) > 230:
                        text = text[:230] + " ..."
            else:
                _, clean, _ = t.read_quietly(case.source, src)
                _, rep, caught = t.read_quietly(case.source, damaged.path)
                if case.expect == "same":
                    did, text = "read, same observations", str(rep)
                else:
                    n = rep.dropped[case.reason] - clean.dropped[case.reason]
                    did = f"drop: {n} more `{case.reason}`"
                    warned = [str(w.message) for w in caught
                              if "not mapped" in str(w.message)]
                    text = warned[0] if warned else str(rep)
            text = text.replace("|", "\\|")
            print(f"| `{case.id}` | {case.what} | {origin} `{damaged.path.name}` | {did} | "
                  f"{text} |")


if __name__ == "__main__":
    main()
