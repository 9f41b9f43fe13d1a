"""Tests of formcheck.models: lookup order, download, hash verification (no network)."""

from __future__ import annotations

import hashlib
import io
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from formcheck import models
from formcheck.errors import FormcheckError, ModelNotFoundError
from formcheck.models import ModelVariant, download_model, resolve_model

FAKE_BYTES = b"not really a model, but good enough for hashing" * 100


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Empty cache in tmp_path, no FORMCHECK_MODEL_DIR; returns the cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(models.MODEL_DIR_ENV, raising=False)
    return tmp_path / "xdg" / "formcheck" / "models"


@pytest.fixture
def fake_lite(monkeypatch: pytest.MonkeyPatch) -> str:
    """Make FAKE_BYTES the official lite model (size and hash); returns its sha256."""
    digest = hashlib.sha256(FAKE_BYTES).hexdigest()
    monkeypatch.setitem(models._CHECKSUMS, "lite", (len(FAKE_BYTES), digest, ()))
    return digest


class FakeResponse(io.BytesIO):
    """A urlopen() response: readable bytes plus headers."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def fake_opener(data: bytes, calls: list[str] | None = None) -> Any:
    def opener(url: str, timeout: float | None = None) -> FakeResponse:
        if calls is not None:
            calls.append(url)
        return FakeResponse(data)

    return opener


def offline_opener(url: str, timeout: float | None = None) -> Any:
    raise urllib.error.URLError("Temporary failure in name resolution")


def test_variant_metadata() -> None:
    assert ModelVariant("full") is ModelVariant.FULL
    assert ModelVariant.parse("LITE") is ModelVariant.LITE
    assert ModelVariant.HEAVY.filename == "pose_landmarker_heavy.task"
    assert ModelVariant.LITE.url == (
        "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
        "pose_landmarker_lite/float16/latest/pose_landmarker_lite.task"
    )
    assert ModelVariant.FULL.size == 9_398_198
    assert len(ModelVariant.FULL.sha256_accepted) == 2
    assert ModelVariant.FULL.sha256 in ModelVariant.FULL.sha256_accepted
    assert ModelVariant.HEAVY.sha256_accepted == {ModelVariant.HEAVY.sha256}
    with pytest.raises(ValueError, match="unknown model variant"):
        ModelVariant.parse("medium")


def test_errors_hierarchy() -> None:
    assert issubclass(ModelNotFoundError, FormcheckError)


def test_explicit_path(isolated: Path, tmp_path: Path) -> None:
    f = tmp_path / "mine.task"
    f.write_bytes(b"x")
    assert resolve_model("full", f) == f.resolve()
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model("full", tmp_path / "missing.task", opener=offline_opener)
    with pytest.raises(ModelNotFoundError, match="folder"):
        resolve_model("full", tmp_path)


def test_env_dir(isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = tmp_path / "env models"
    env_dir.mkdir()
    (env_dir / "pose_landmarker_heavy.task").write_bytes(b"heavy")
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(env_dir))
    assert resolve_model("heavy", opener=offline_opener) == (env_dir / "pose_landmarker_heavy.task").resolve()
    # Not in the env folder: falls through to cache/download, which fails offline.
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model("lite", opener=offline_opener, progress=False)
    assert "FORMCHECK_MODEL_DIR" in str(info.value)


def test_cache_hit(isolated: Path, fake_lite: str) -> None:
    isolated.mkdir(parents=True)
    (isolated / "pose_landmarker_lite.task").write_bytes(FAKE_BYTES)
    calls: list[str] = []
    path = resolve_model("lite", opener=fake_opener(b"", calls))
    assert path == (isolated / "pose_landmarker_lite.task").resolve()
    assert calls == []


def test_cache_wrong_size_is_redownloaded(isolated: Path, fake_lite: str) -> None:
    isolated.mkdir(parents=True)
    (isolated / "pose_landmarker_lite.task").write_bytes(b"partial")
    calls: list[str] = []
    path = resolve_model("lite", opener=fake_opener(FAKE_BYTES, calls), progress=False)
    assert calls == [ModelVariant.LITE.url]
    assert path.read_bytes() == FAKE_BYTES


def test_download_with_fake_opener(isolated: Path, fake_lite: str) -> None:
    calls: list[str] = []
    path = resolve_model("lite", opener=fake_opener(FAKE_BYTES, calls), progress=True)
    assert calls == [ModelVariant.LITE.url]
    assert path == (isolated / "pose_landmarker_lite.task").resolve()
    assert path.read_bytes() == FAKE_BYTES
    assert list(isolated.iterdir()) == [path]  # no temp file left behind
    # Second call: served from the cache.
    assert resolve_model("lite", opener=offline_opener) == path


def test_download_file_url(tmp_path: Path, fake_lite: str) -> None:
    src = tmp_path / "served" / "model.task"
    src.parent.mkdir()
    src.write_bytes(FAKE_BYTES)
    dest = tmp_path / "dest"
    path = download_model("lite", dest, url=src.as_uri(), progress=False)
    assert path.read_bytes() == FAKE_BYTES
    assert models.sha256_of(path) == fake_lite


def test_hash_mismatch_deletes_temp_file(isolated: Path, fake_lite: str) -> None:
    with pytest.raises(ModelNotFoundError, match="sha256") as info:
        resolve_model("lite", opener=fake_opener(b"tampered" * 10), progress=False)
    assert fake_lite in str(info.value)
    assert not any(isolated.iterdir())


def test_offline_error_message(isolated: Path) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model("full", opener=offline_opener, progress=False)
    msg = str(info.value)
    assert ModelVariant.FULL.url in msg
    assert str(isolated) in msg
    assert "FORMCHECK_MODEL_DIR" in msg
    assert not any(isolated.iterdir())


def test_no_download_allowed(isolated: Path) -> None:
    calls: list[str] = []
    with pytest.raises(ModelNotFoundError, match="downloading is disabled"):
        resolve_model("full", allow_download=False, opener=fake_opener(b"", calls))
    assert calls == []


def test_interrupted_download_cleans_up(isolated: Path, fake_lite: str) -> None:
    class Broken(FakeResponse):
        def read(self, size: int | None = -1) -> bytes:
            raise TimeoutError("read timed out")

    def opener(url: str, timeout: float | None = None) -> Broken:
        return Broken(FAKE_BYTES)

    with pytest.raises(ModelNotFoundError, match="timed out"):
        resolve_model("lite", opener=opener, progress=False)
    assert not any(isolated.iterdir())


def test_real_models_match_table() -> None:
    """The shared model files, when present, have the sizes/hashes listed in the code."""
    folder = Path(__file__).resolve().parents[1].parent / "shared" / "models"
    found = [v for v in ModelVariant if (folder / v.filename).is_file()]
    if not found:
        pytest.skip(f"no model files in {folder}")
    for v in found:
        f = folder / v.filename
        assert f.stat().st_size == v.size
        assert models.sha256_of(f) in v.sha256_accepted
