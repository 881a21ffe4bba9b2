"""JSON columns and vector metadata go through orjson, with the standard library behind it for
what orjson refuses: every value that was written before still writes and reads back the same."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from echome import json_codec
from echome.db.session import make_engine
from echome.db.types import JSONType

AWKWARD: list[Any] = [
    {"name": "Café crème — 200 g", "tags": ["a", "b"], "n": 3, "x": 1.5, "none": None},
    {"big": 2**70},  # beyond 64 bits: orjson refuses, json writes it
    {"lone": "\ud800"},  # a lone surrogate (surrogateescape'd bytes): orjson refuses
    [],
    "",
]


@pytest.mark.parametrize("value", AWKWARD)
def test_round_trip(value: Any) -> None:
    assert json_codec.loads(json_codec.dumps(value)) == value


def test_keys_that_are_not_strings_are_written_as_json_dumps_writes_them() -> None:
    assert json_codec.loads(json_codec.dumps({1: "a", 2.5: "b"})) == json.loads(
        json.dumps({1: "a", 2.5: "b"})
    )


def test_what_json_dumps_used_to_write_still_reads() -> None:
    old = json.dumps({"score": float("nan"), "top": float("inf")})  # 'NaN', 'Infinity': not JSON
    got = json_codec.loads(old)
    assert math.isnan(got["score"]) and got["top"] == math.inf
    assert json_codec.loads(old.encode()).keys() == {"score", "top"}


def test_what_neither_writes_is_still_refused() -> None:
    with pytest.raises(TypeError):
        json_codec.dumps({"when": object()})
    with pytest.raises(ValueError):
        json_codec.loads("{not json")


def test_json_columns_use_it_on_both_databases(database_url: str | None, tmp_path: Path) -> None:
    url = database_url or f"sqlite:///{tmp_path / 'data' / 'echome.db'}"
    engine = make_engine(url)
    table = sa.Table("json_codec_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("doc", JSONType))  # fmt: skip
    table.create(engine)
    try:
        # what jsonb holds too (not integers beyond 64 bits, nor a lone surrogate)
        values = [AWKWARD[0], [], "", {"n": [1, {"deep": "ü"}]}]
        with engine.begin() as conn:
            conn.execute(sa.insert(table), [{"id": n, "doc": v} for n, v in enumerate(values)])
        with engine.connect() as conn:
            got = dict(conn.execute(sa.select(table.c.id, table.c.doc)).all())
        assert [got[n] for n in range(len(values))] == values
        assert engine.dialect._json_serializer is json_codec.dumps  # type: ignore[attr-defined]
        assert engine.dialect._json_deserializer is json_codec.loads  # type: ignore[attr-defined]
        if engine.dialect.name == "sqlite":  # stored as written: orjson's compact text
            with engine.connect() as conn:
                raw = conn.execute(sa.text("SELECT doc FROM json_codec_probe WHERE id = 0")).scalar()
            assert '"tags":["a","b"]' in raw and "Café" in raw
    finally:
        table.drop(engine)
        engine.dispose()
