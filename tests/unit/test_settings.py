from __future__ import annotations

from pathlib import Path

import pytest

from echome.settings import Settings


def test_env_prefix_and_derived_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECHOME_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("ECHOME_PORT", "9001")
    s = Settings(_env_file=None)
    assert s.data_dir == (tmp_path / "d").resolve() and s.port == 9001
    assert s.effective_database_url == f"sqlite:///{(tmp_path / 'd' / 'echome.db').resolve()}"
    assert s.embedded and s.is_sqlite


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("ECHOME_REDIS_URL=redis://127.0.0.1:6379/3\nECHOME_LOG_FORMAT=text\n")
    monkeypatch.delenv("ECHOME_REDIS_URL", raising=False)
    s = Settings(_env_file=env)
    assert s.redis_url == "redis://127.0.0.1:6379/3" and s.log_format == "text" and not s.embedded


def test_secrets_do_not_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHOME_GOOGLE_CLIENT_SECRET", "very-secret-value")
    s = Settings(_env_file=None)
    assert "very-secret-value" not in repr(s) and "very-secret-value" not in str(s.model_dump())


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHOME_LOG_FORMAT", "xml")
    with pytest.raises(ValueError):
        Settings(_env_file=None)


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).parents[2] / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"ECHOME_{name.upper()}" in example, name


def test_a_vector_store_url_alone_chooses_that_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ECHOME_VECTOR_STORE", "ECHOME_CHROMA_URL", "ECHOME_QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)
    assert Settings(_env_file=None).vector_store == "flat"
    assert Settings(_env_file=None, chroma_url="http://chroma:8000").vector_store == "chroma"
    assert Settings(_env_file=None, qdrant_url="http://qdrant:6333").vector_store == "qdrant"
    monkeypatch.setenv("ECHOME_VECTOR_STORE", "flat")
    assert Settings(_env_file=None, chroma_url="http://chroma:8000").vector_store == "flat"
