"""The Batch tab reads only under an allowed root and offers only its own outputs for download."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest
from page_app import patched_page, run_batch_page

from formcheck.web.access import SERVED_ENV, TOKEN_ENV
from formcheck.web.folder_guard import (
    ROOT_ENV,
    FolderRefusedError,
    batch_access,
    check_no_links_leaving,
    downloadable,
    is_inside,
    links_leaving,
    resolve_under,
)


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """root/{clips,inner}, an outside folder with a secret, and links from the root to both."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "clips").mkdir(parents=True)
    (root / "inner").mkdir()
    outside.mkdir()
    (outside / "secret.mp4").write_bytes(b"secret")
    (root / "to_outside").symlink_to(outside, target_is_directory=True)
    (root / "to_inner").symlink_to(root / "inner", target_is_directory=True)
    return {"root": root, "outside": outside, "tmp": tmp_path}


def test_batch_is_off_unless_a_root_is_set_and_the_page_is_local(tree: dict[str, Path]) -> None:
    off = batch_access(False, {})
    assert off.root is None and ROOT_ENV in off.reason
    assert batch_access(False, {ROOT_ENV: str(tree["root"])}).root == tree["root"].resolve()
    served = batch_access(True, {ROOT_ENV: str(tree["root"])})
    assert served.root is None and "formcheck batch" in served.reason
    missing = batch_access(False, {ROOT_ENV: str(tree["tmp"] / "nope")})
    assert missing.root is None and "no such folder" in missing.reason


def test_folders_inside_the_root_are_accepted(tree: dict[str, Path]) -> None:
    root = tree["root"]
    assert resolve_under(root, "clips") == (root / "clips").resolve()
    assert resolve_under(root, f"  {root / 'clips'}  ") == (root / "clips").resolve()
    assert resolve_under(root, "to_inner") == (root / "inner").resolve()  # a link that stays inside
    assert resolve_under(root, ".") == root.resolve()


@pytest.mark.parametrize(
    ("text", "why"),
    [("", "Enter a folder"), ("..", "'..' is not allowed"), ("clips/../..", "'..' is not allowed"),
     ("clips/../inner", "'..' is not allowed"), ("..\\outside", "'..' is not allowed"), ("a\x00b", "NUL"),
     ("/etc", "outside the allowed folder"), ("to_outside", "through a symbolic link"),
     ("to_outside/", "through a symbolic link")],
)
def test_escapes_are_refused(tree: dict[str, Path], text: str, why: str) -> None:
    with pytest.raises(FolderRefusedError, match=why.replace("(", r"\(")):
        resolve_under(tree["root"], text)


def test_absolute_path_outside_and_sibling_prefix_are_refused(tree: dict[str, Path]) -> None:
    sibling = tree["tmp"] / "root2"  # shares the root's name as a prefix
    sibling.mkdir()
    for path in (tree["outside"], sibling, tree["tmp"]):
        with pytest.raises(FolderRefusedError, match="outside the allowed folder"):
            resolve_under(tree["root"], str(path))


def test_links_inside_the_folder_that_leave_the_root_are_found(tree: dict[str, Path]) -> None:
    clips = tree["root"] / "clips"
    (clips / "ok.mp4").write_bytes(b"x")
    (clips / "also_ok.mp4").symlink_to(tree["root"] / "inner")
    assert links_leaving(clips, tree["root"]) == []
    check_no_links_leaving(clips, tree["root"])
    (clips / "stolen.mp4").symlink_to(tree["outside"] / "secret.mp4")
    (clips / "sub").mkdir()
    (clips / "sub" / "dir").symlink_to(tree["outside"], target_is_directory=True)
    assert links_leaving(clips, tree["root"]) == [clips / "stolen.mp4", clips / "sub" / "dir"]
    with pytest.raises(FolderRefusedError, match=r"stolen\.mp4.*copy those files"):
        check_no_links_leaving(clips, tree["root"])


def test_only_files_inside_the_output_folder_are_downloadable(tree: dict[str, Path]) -> None:
    out = tree["tmp"] / "out"
    out.mkdir()
    (out / "report.html").write_text("r")
    (out / "leak.csv").symlink_to(tree["outside"] / "secret.mp4")
    (out / "sub").mkdir()
    offered = [out / "report.html", out / "leak.csv", tree["outside"] / "secret.mp4", out / ".." / "outside" /
               "secret.mp4", out / "sub", out / "missing.csv"]
    assert downloadable(offered, out) == [out / "report.html"]
    assert is_inside(out / "report.html", out) and not is_inside(out / "leak.csv", out)
    loop = out / "loop"
    loop.symlink_to(loop)
    assert downloadable([loop], out) == []


# -- in the page (AppTest) -------------------------------------------------------------------


@pytest.fixture
def batch_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The page with a fake batch scorer that records its calls and leaves a link to a secret in its outputs."""
    calls: list[Path] = []
    secret = tmp_path / "outside" / "secret.mp4"

    def run_folder(path, *, out_dir, model, exercise, on_progress):
        calls.append(Path(path))
        (out_dir / "report.html").write_text("<html>Batch report</html>", encoding="utf-8")
        (out_dir / "clips.csv").write_text("file\na.mp4\n", encoding="utf-8")
        if not (out_dir / "leak.csv").is_symlink():
            (out_dir / "leak.csv").symlink_to(secret)
        return types.SimpleNamespace(rows=[{"file": "a.mp4"}], report=out_dir / "report.html")

    from formcheck.web import batch_tab  # noqa: PLC0415

    monkeypatch.setattr(batch_tab, "run_folder", run_folder)
    for name in (ROOT_ENV, TOKEN_ENV, SERVED_ENV):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "sessions").mkdir()
    with patched_page(monkeypatch, tmp_path / "sessions"):
        yield calls


def _run(at, text: str):
    at.text_input(key="fc_batch_folder").input(text).run()
    at.button(key="fc_batch_run").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return [e.value for e in at.error]


def test_page_batch_tab_is_off_by_default(batch_page) -> None:
    at = run_batch_page()
    assert any(ROOT_ENV in i.value for i in at.info)
    assert [w for w in at.text_input if w.key == "fc_batch_folder"] == []


def test_page_batch_tab_is_off_when_served(batch_page, tree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ROOT_ENV, str(tree["root"]))
    monkeypatch.setenv(SERVED_ENV, "1")
    monkeypatch.setenv(TOKEN_ENV, "a-long-enough-token")
    monkeypatch.setattr("formcheck.web.access.require_access", lambda: None)  # gate tested elsewhere
    at = run_batch_page()
    assert any("shared on the network" in i.value for i in at.info)
    assert [w for w in at.text_input if w.key == "fc_batch_folder"] == []


def test_page_batch_tab_refuses_escapes_and_offers_only_its_outputs(
    batch_page, tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree["root"]
    for folder in (root / "clips", tree["outside"]):
        (folder / "labels.csv").write_text("file,exercise,faults\n", encoding="utf-8")
    monkeypatch.setenv(ROOT_ENV, str(root))
    at = run_batch_page()
    assert any(str(root.resolve()) in m.value for m in at.markdown)
    for text, why in (("../outside", "'..' is not allowed"), (str(tree["outside"]), "outside the allowed folder"),
                      ("to_outside", "through a symbolic link")):
        errors = _run(at, text)
        assert any(why in e for e in errors), (text, errors)
    (root / "clips" / "stolen.mp4").symlink_to(tree["outside"] / "secret.mp4")
    assert any("symbolic links to files outside" in e for e in _run(at, "clips"))
    assert batch_page == [], "the scorer never ran on a refused folder"
    os.remove(root / "clips" / "stolen.mp4")
    assert _run(at, "clips") == []
    assert batch_page == [(root / "clips").resolve()]
    labels = [b.label for b in at.get("download_button")]
    assert "clips.csv" in labels and "report.html" in labels and "leak.csv" not in labels, labels
