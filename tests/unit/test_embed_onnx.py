"""The local MiniLM embedder: the int8 graph built from the packaged weights, its cache, batching."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pytest

from echome.knowledge.chunk import token_bound
from echome.providers.embed_onnx import OnnxMiniLMEmbedder, packaged_model_files, plan_batches
from echome.providers.minilm_graph import BuildRejected, build_graph, full_range_int8, packaged_weights

TEXTS = [
    "Review: the zipper broke after a week, but the seller sent a new one at once.",
    "color: navy blue, size: medium, material: 60% cotton, 40% polyester",
    "Question: can I wash it at 60 degrees? Answer: yes, it is colourfast.",
    "Cordless vacuum cleaner with a 40 minute battery and a washable HEPA filter.",
    "ok",
    "!",
    "Edelstahl-Kochtopf 24 cm, induktionsgeeignet, mit Glasdeckel",
    "The espresso machine heats up in 25 seconds and has a steam wand for milk.",
    "Does this charger work with a MacBook Air from 2020?",
    "dimensions: 30 x 20 x 10 cm; weight: 450 g",
    "Review: too small for my dog, returned it.",
    "A soft merino wool beanie, knitted in Scotland, one size fits most adults.",
]
QUERIES = {  # each one's text wins by a clear margin with the packaged model
    "is the battery of the vacuum good": 3,
    "coffee maker": 7,
    "will it fit my laptop charger port": 8,
    "how heavy is it": 9,
    "can i wash this shirt hot": 2,
}


@pytest.fixture(scope="module")
def fast() -> OnnxMiniLMEmbedder:
    emb = OnnxMiniLMEmbedder()
    emb.embed(["load"])
    return emb


@pytest.fixture(scope="module")
def packaged() -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(variant="packaged")


def test_batches_take_each_text_once_shortest_first_within_their_limits() -> None:
    rng = random.Random(7)
    lengths = [rng.choice([3, 4, 9, 30, 31, 120, 256]) for _ in range(500)]
    batches = plan_batches(lengths, max_rows=32, max_tokens=1024)
    assert sorted(i for b in batches for i in b) == list(range(500))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat)
    for b in batches:
        widest = max(lengths[i] for i in b)
        assert len(b) <= 32 and (len(b) == 1 or len(b) * widest <= 1024)
    assert plan_batches([], max_rows=8, max_tokens=64) == []
    assert plan_batches([500], max_rows=8, max_tokens=64) == [[0]]  # a long text still goes


def test_default_embedder_runs_the_built_int8_graph(fast: OnnxMiniLMEmbedder) -> None:
    assert fast.variant == "int8"


def test_int8_vectors_match_the_packaged_model(
    fast: OnnxMiniLMEmbedder, packaged: OnnxMiniLMEmbedder
) -> None:
    ours, theirs = fast.embed(TEXTS), packaged.embed(TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cos = (ours * theirs).sum(axis=1)
    assert cos.mean() >= 0.99 and cos.min() >= 0.97, cos.round(4)


def test_queries_find_the_same_texts_as_with_the_packaged_model(
    fast: OnnxMiniLMEmbedder, packaged: OnnxMiniLMEmbedder
) -> None:
    for emb in (fast, packaged):
        docs = emb.embed(TEXTS)
        q = emb.embed(list(QUERIES), kind="query")
        assert [int(i) for i in (q @ docs.T).argmax(axis=1)] == list(QUERIES.values())


def test_vectors_come_back_in_the_callers_order(fast: OnnxMiniLMEmbedder) -> None:
    alone = np.concatenate([fast.embed([t]) for t in TEXTS])
    mixed = list(range(len(TEXTS)))
    random.Random(3).shuffle(mixed)
    together = fast.embed([TEXTS[i] for i in mixed])
    # int8 activations are scaled per batch, so batch mates move a vector slightly (0.989 at worst
    # here, the German text among English ones), never onto another text's
    assert [int(i) for i in (together @ alone.T).argmax(axis=1)] == mixed
    assert (together * alone[mixed]).sum(axis=1).min() > 0.98


def test_empty_and_overlong_texts(fast: OnnxMiniLMEmbedder) -> None:
    assert fast.embed([]).shape == (0, 384)
    long = " ".join(f"word{i}" for i in range(3000))  # far past the 256-token window
    vecs = fast.embed(["", long, "short"])
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert fast.count_tokens(long) > 256


def test_built_graph_is_cached_under_the_packaged_files_checksum(tmp_path: Path) -> None:
    model, tok = packaged_model_files()
    first = OnnxMiniLMEmbedder(cache_dir=tmp_path)
    v1 = first.embed(TEXTS)
    built = list(tmp_path.glob("minilm-int8-*.onnx"))
    assert len(built) == 1
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    assert digest[:16] in built[0].name
    manifest = json.loads(built[0].with_suffix(".json").read_text())
    assert manifest["source_sha256"] == digest and manifest["mean_cosine"] >= 0.99
    stamp = built[0].stat().st_mtime_ns

    second = OnnxMiniLMEmbedder(cache_dir=tmp_path)  # another process starting: reads the file
    assert np.array_equal(second.embed(TEXTS), v1)
    assert built[0].stat().st_mtime_ns == stamp

    changed = tmp_path / "tokenizer.json"  # an updated package: same vocabulary, other bytes
    changed.write_text(tok.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    OnnxMiniLMEmbedder(cache_dir=tmp_path, tokenizer_path=changed).embed(["rebuilt"])
    assert len(list(tmp_path.glob("minilm-int8-*.onnx"))) == 2


def test_the_running_graph_has_standard_layer_norms(tmp_path: Path) -> None:
    """ONNX Runtime's SkipLayerNormalization CPU kernel was a quarter of the model's time (5x a plain
    Add + LayerNormalization): the graph is built without it and the session must not fuse it back."""
    import onnx
    import onnxruntime as ort

    from echome.providers.embed_onnx import DISABLED_OPTIMIZERS, session_options

    OnnxMiniLMEmbedder(cache_dir=tmp_path).embed(["build it"])
    (graph,) = tmp_path.glob("minilm-int8-*.onnx")
    opts = session_options()
    opts.optimized_model_filepath = str(tmp_path / "as-run.onnx")
    ort.InferenceSession(
        str(graph), opts, providers=["CPUExecutionProvider"], disabled_optimizers=DISABLED_OPTIMIZERS
    )
    ops = [n.op_type for n in onnx.load(str(tmp_path / "as-run.onnx")).graph.node]
    assert "SkipLayerNormalization" not in ops
    assert ops.count("LayerNormalization") == 12  # two per layer, six layers
    assert {"QAttention", "DynamicQuantizeMatMul"} <= set(ops)  # still the int8 graph
    # fp32 side products only on the GELU outputs: the first feed-forward input is smoothed instead
    # of split (its side product and join were two passes over a 1536-wide output per layer)
    side = sorted(
        n.name for n in onnx.load(str(tmp_path / "as-run.onnx")).graph.node if n.op_type == "MatMul"
    )
    assert side == [f"ffn2_{i}_side" for i in range(6)]


def test_a_damaged_cache_file_is_built_again(tmp_path: Path) -> None:
    OnnxMiniLMEmbedder(cache_dir=tmp_path).embed(["build it"])
    (cached,) = tmp_path.glob("minilm-int8-*.onnx")
    cached.write_bytes(b"not an onnx graph")
    emb = OnnxMiniLMEmbedder(cache_dir=tmp_path)
    vec = emb.embed(["still works"])
    assert emb.variant == "int8" and np.isclose(np.linalg.norm(vec), 1.0, atol=1e-4)
    assert cached.stat().st_size > 1_000_000


def test_a_graph_of_another_layout_is_refused(tmp_path: Path) -> None:
    from onnx import TensorProto, helper, save

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    other = tmp_path / "other.onnx"
    save(
        helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])),
        other,
    )
    with pytest.raises(BuildRejected, match="layout"):
        packaged_weights(other)


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="variant"):
        OnnxMiniLMEmbedder(variant="int4")  # type: ignore[arg-type]


@pytest.mark.parametrize("full_range", [True, False])
def test_both_weight_ranges_build_a_graph_close_to_the_packaged_one(full_range: bool) -> None:
    """8-bit weights where the CPU has VNNI, 7-bit where it would saturate: whichever this machine
    is, the other build must work as well (the cache key keeps them apart)."""
    emb = OnnxMiniLMEmbedder(variant="packaged")
    emb.embed(["load the tokenizer"])
    model, _ = packaged_model_files()
    data, report = build_graph(model, emb._tokenizer, variant="int8", full_range=full_range)
    assert report.variant == "int8" and report.mean_cosine >= 0.99 and len(data) > 1_000_000


def test_int8_weight_range_follows_the_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import platform

    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n\nprocessor\t: 1\n")
    assert not full_range_int8(info)  # AVX2 only: 7-bit weights
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni amx_int8\n")
    assert full_range_int8(info)
    info.write_text("flags\t\t: fpu avx2 avx_vnni\n")
    assert full_range_int8(info)
    assert not full_range_int8(tmp_path / "missing")  # unknown x86: the safe choice
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert full_range_int8(tmp_path / "missing")


@pytest.mark.parametrize(
    "text",
    [
        "Edelstahl-Wasserkocher für Küche und Büro",
        "가나다라마바사 전기 주전자",  # Hangul: one syllable is up to three word pieces
        "電気ケトル 1.7L ステンレス",
        "İstanbul ÇAĞDAŞ çaydanlik",
        "naïve café crème brûlée — 20 % off!",
        "plain ascii, with punctuation: (a) [b] {c}",
    ],
)
def test_no_text_counts_more_tokens_than_its_bound(fast: OnnxMiniLMEmbedder, text: str) -> None:
    # chunking skips counting texts whose bound fits the window: the bound must never be below
    assert fast.count_tokens(text) - 2 <= token_bound(text)
    assert fast.count_tokens(text * 20) - 2 <= token_bound(text * 20)
