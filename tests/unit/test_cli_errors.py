"""The CLI fails with a one-line error and a non-zero exit, never a traceback (unless --debug).

Each test calls ``divides.run.cli.main`` on bad arguments, missing data folders or unknown
names; none of them reaches a download, a build or a notebook run.
"""

from __future__ import annotations

import pytest

from divides.run import cli

pytestmark = pytest.mark.unit


def _one_line_error(capsys, command: str) -> str:
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"divides {command}: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("argv, usage", [
    (["nosuch"], "usage: divides "),
    (["build", "--data", "bogus"], "usage: divides build "),
    (["run", "--jobs", "many"], "usage: divides run "),
    (["run", "--jobs", "0"], "usage: divides run "),
    (["specs", "--workers", "-1"], "usage: divides specs "),
    (["demo", "--seed", "abc"], "usage: divides demo "),
    (["specs", "--backend", "gpu"], "usage: divides specs "),
    (["build", "--no-such-option"], "usage: divides "),
    (["figures", "--width", "triple"], "usage: divides figures "),
    (["figures", "--width", "40"], "usage: divides figures "),
    (["figures", "--format", "tiff,jpg"], "usage: divides figures "),
    (["figures", "--dpi", "0"], "usage: divides figures "),
])
def test_bad_arguments_print_usage_and_exit_2(argv, usage, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert err.startswith(usage), err
    assert "error:" in err.splitlines()[-1]


def test_no_command_prints_help_and_exits_2(capsys):
    assert cli.main([]) == 2
    assert capsys.readouterr().out.startswith("usage: divides")


def test_build_missing_raw_dir(tmp_path, capsys):
    missing = tmp_path / "nonexistent"
    assert cli.main(["build", "--raw-dir", str(missing)]) == 2
    line = _one_line_error(capsys, "build")
    assert str(missing) in line and "does not exist" in line
    assert not missing.exists()


def test_build_empty_raw_dir(tmp_path, monkeypatch, capsys):
    """An existing folder without any publisher file is an error, not an empty panel."""
    monkeypatch.setattr("divides.config.processed_dir", lambda data: tmp_path / "out")
    (tmp_path / "raw").mkdir()
    assert cli.main(["build", "--raw-dir", str(tmp_path / "raw")]) == 2
    line = _one_line_error(capsys, "build")
    assert "no input files under" in line and str(tmp_path / "raw") in line


def test_missing_real_data_folder(tmp_path, monkeypatch, capsys):
    """$DIVIDES_REAL_DIR pointing nowhere must not give an empty panel and exit 0."""
    missing = tmp_path / "no-real-data"
    monkeypatch.setenv("DIVIDES_REAL_DIR", str(missing))
    monkeypatch.setattr("divides.config.processed_dir", lambda data: tmp_path / "out")
    assert cli.main(["build", "--data", "real"]) == 2
    line = _one_line_error(capsys, "build")
    assert str(missing) in line and "does not exist" in line
    assert not (tmp_path / "out").exists()


def test_fetch_unknown_source(tmp_path, capsys):
    assert cli.main(["fetch", "nosuchsource", "--dest", str(tmp_path)]) == 2
    line = _one_line_error(capsys, "fetch")
    assert "'nosuchsource'" in line and "known:" in line
    assert list(tmp_path.iterdir()) == []


def test_run_only_unknown_notebook(capsys):
    code = cli.main(["run", "--only", "nosuch"])
    assert code != 0
    line = _one_line_error(capsys, "run")
    assert "nosuch" in line


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cli.main(["--debug", "build", "--raw-dir", str(tmp_path / "nonexistent")])


def test_debug_after_the_subcommand(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cli.main(["build", "--raw-dir", str(tmp_path / "nonexistent"), "--debug"])


def test_unexpected_error_is_one_line_with_a_hint(monkeypatch, capsys):
    """A bug (not a known input problem) exits 1, on one line, naming the exception type."""
    from divides.build import panel

    def broken(**kwargs):
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setattr(panel, "build", broken)
    assert cli.main(["build"]) == 1
    line = _one_line_error(capsys, "build")
    assert "RuntimeError: first line second line" in line and "--debug" in line


def test_reader_error_reaches_the_cli_as_one_line(tmp_path, monkeypatch, capsys):
    """A damaged input under --raw-dir ends as the reader's one-line message, exit 2."""
    monkeypatch.setattr("divides.config.processed_dir", lambda data: tmp_path / "out")
    folder = tmp_path / "un_egov"
    folder.mkdir()
    (folder / "EGOV_DATA_2022.csv").write_bytes(b"")
    code = cli.main(["build", "--data", "real", "--raw-dir", str(tmp_path), "--force"])
    assert code == 2
    line = _one_line_error(capsys, "build")
    assert "EGOV_DATA_2022.csv: file: expected a non-empty CSV, found an empty file" in line


def test_a_full_disk_in_any_writer_is_one_line_naming_the_file(capsys, monkeypatch):
    """A writer outside fileio's guards (a figure, a table) raised a bare
    'OSError: [Errno 28] No space left on device' with 'run with --debug'."""
    import errno

    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", "reports/demo/figures/x.png")

    monkeypatch.setattr(cli, "_cmd_figures", full)
    assert cli.main(["figures", "--data", "demo"]) == 2
    line = _one_line_error(capsys, "figures")
    assert line == ("divides figures: error: reports/demo/figures/x.png: expected room to "
                    "write it, found the disk full (No space left on device); free some space "
                    "and run again (a file already in place there is unchanged)")


def test_figures_only_unknown_name(monkeypatch, capsys):
    from divides.figures import gallery

    monkeypatch.setattr(cli, "_demo_step", lambda data, raw_dir=None: None)
    monkeypatch.setattr(gallery, "load_build", lambda data: {"panel": None, "gaps": None})
    assert cli.main(["figures", "--only", "no_such_figure"]) != 0
    line = _one_line_error(capsys, "figures")
    assert "no_such_figure" in line and "spec_curve" in line
