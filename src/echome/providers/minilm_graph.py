"""A faster all-MiniLM-L6-v2 graph, built from the packaged int8 ONNX file (nothing is downloaded).

The packaged file stores int8 weights, but as `Cast` + `Mul` in front of plain `MatMul`s: ONNX Runtime
folds them back to fp32 when it loads the file, so every product runs in fp32, and its attention
(exported by torch.dynamo) is ~25 small operators ONNX Runtime cannot fuse. `build_graph` reads the
packaged weights and writes the standard BERT graph ONNX Runtime has fused kernels for
(EmbedLayerNormalization, Attention, BiasGelu; LayerNormalization) with mean pooling and L2
normalisation inside, then, for the int8 variant, quantises its matrix products dynamically
(QAttention, DynamicQuantizeMatMul: uint8 activations x int8 weights).

Constraints the code cannot show:
- x86 CPUs without VNNI multiply uint8 x int8 with VPMADDUBSW, whose int16 pair sums saturate: there
  the weights are quantised to 7 bits (`reduce_range`) so that no sum can overflow. With VNNI (or on
  a CPU that is not x86) they get all 8 bits: vectors measured twice as close to the packaged model's
  (mean cosine 0.9990 against 0.9975 on 3,000 catalog texts). The build therefore depends on the CPU
  and its cache key says which it is.
- A few channels of each layer's activations are 5-15x larger than the rest in every text (the
  model's own outlier dimensions): with one scale per tensor they would leave the other channels a
  handful of levels. In the second feed-forward product's input (the GELU output, 1536 wide, the
  largest outliers) those channels are multiplied in fp32 beside the int8 product (the
  decomposition of LLM.int8()). The 384-wide inputs of attention and of the first feed-forward
  product are instead rescaled per channel into the weights (SmoothQuant): one Mul on the narrow
  input, where the split's side product and join would be two passes over the 1536-wide output
  (11% of the model's time; the vectors' mean cosine to the packaged model moved 0.99888 ->
  0.99871 on 1,500 catalog texts, the lowest 0.9927 -> 0.9947). Peaks are measured once on the
  calibration sentences below.
- A build is compared with the packaged graph on probe sentences and refused when it drifts.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

LAYERS = 6
HEADS = 12
HIDDEN = 384
EPS = 1e-12
OUTLIERS = 8  # channels of the GELU output multiplied in fp32 (4 and 16 measured no better)
# SmoothQuant's alpha: the attention inputs (0.3 measured no better); the first feed-forward
# product's input (0.4 and 0.5 measured further from the packaged model's vectors).
SMOOTHING = 0.5
SMOOTHING_FFN = 0.7
MS = "com.microsoft"
OUTPUT = "sentence_embedding"
# Bumped whenever the graph this module writes changes, so cached builds are rebuilt.
BUILD_VERSION = "5"
# Sessions running the built graph keep its layer norms standard (see `bert_graph`): fusing them back
# into SkipLayerNormalization would bring back that operator's slow CPU kernel.
DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]

# Catalog-like text of every kind the embedder sees (attributes, reviews, questions, prose, numbers,
# other languages). Only each channel's largest magnitude is taken from them.
CALIBRATION = (
    "color: black, size: large, material: 100% cotton",
    "Review: Works great with my kitchen mixer, sturdy and easy to clean.",
    "Question: Does it fit a Kenmore 800 series? Answer: Yes, it fits models made after 2012.",
    "Stainless steel water bottle, 750 ml, keeps drinks cold for 24 hours and hot for 12.",
    "!",
    "ok",
    "Battery life is about 6 hours of continuous use; charging takes 2 hours with the included cable.",
    "Review: the item I bought was defective and customer service never answered my emails.",
    "Dimensions: 13 x 13 x 2.5 inches; weight: 1.2 lbs",
    "Ergonomic office chair with lumbar support, adjustable armrests and breathable mesh back.",
    "Question: is this dishwasher safe? Answer: top rack only.",
    "Bio-Olivenöl extra vergine aus Andalusien, 500 ml Flasche, kalt gepresst.",
    "Chaussures de randonnée imperméables pour femme, semelle Vibram, pointure 38 à 42.",
    "SKU MH01-XS-Black: Chaz Kangeroo Hoodie, price 52.00 USD, in stock: 100",
    "Fits iPhone 12, 12 Pro; wireless charging compatible; drop tested to 2 meters.",
    "Review: Not worth the money. Broke after two weeks.",
    "Package includes: 1 x drill, 2 x batteries, 1 x charger, 1 x carrying case, user manual.",
    "brand: Acme, model number: X-200, warranty: 2 years limited",
    "Our organic green tea is hand picked in the spring and packed within a week of harvest, "
    "so the leaves keep their sweet, grassy aroma. Steep at 80 degrees for two minutes.",
    "Question: how loud is it? Answer: about 45 dB on the lowest setting, quieter than a fridge.",
    "please place your order no later than 12/3.",
    "style: fine",
    "The lamp uses a standard E26 bulb up to 60 W (not included) and has a 6 ft cord with an inline switch.",
    "Review: perfect for training. My dog loves it!!",
)
PROBES = (
    "Review: good quality, fast shipping.",
    "cellular technology: 4g, screen size: 6.1 inches",
    "Question: can I use it outdoors? Answer: it is rated IP65 for rain and dust.",
    "Handmade ceramic mug, 350 ml, microwave and dishwasher safe, glazed in matte blue.",
    "i will check and let you know for sure. thanks",
    "Wireless earbuds with active noise cancelling and 30 hours of battery with the case.",
    "Leder-Geldbörse mit RFID-Schutz, 12 Kartenfächer",
    "however, that would work fine.",
    "size: large",
    "Replacement filter for models A100 and A200; change every 3 months for best results.",
    "Review: all they do is data entry.",
    "This kit contains everything needed to build a birdhouse: pre-cut pine panels, nails, "
    "sandpaper and illustrated instructions for children aged 8 and up.",
)


def full_range_int8(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether int8 products may use all 8 bits of the weights on this CPU: x86 with VNNI
    (AVX-512 VNNI or AVX-VNNI), or not x86 at all. Unknown (no readable cpuinfo on x86) is False."""
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return True
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    lines = (line.split(":", 1)[1] for line in text.splitlines() if line.startswith("flags"))
    flags = next(lines, "").split()
    return "avx512_vnni" in flags or "avx_vnni" in flags


class BuildRejected(RuntimeError):
    """The built graph's vectors differ from the packaged graph's more than allowed."""


@dataclass
class BuildReport:
    variant: str
    min_cosine: float
    mean_cosine: float
    outliers: int


def packaged_weights(model_path: Path) -> dict[str, np.ndarray]:
    """The packaged graph's weights under their Hugging Face names (`encoder.layer.0.output.dense.weight`,
    ...), dequantised exactly as the packaged graph does (int8 x per-channel scale, in float32)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(model_path))
    values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    producer = {out: n for n in model.graph.node for out in n.output}
    for n in model.graph.node:  # weight dequantisation: Mul(Cast(q), scale)
        if n.op_type == "Mul" and n.input[0] in producer and n.input[1] in values:
            cast = producer[n.input[0]]
            if cast.op_type == "Cast" and cast.input[0] in values:
                q = values[cast.input[0]].astype(np.float32)
                values[n.output[0]] = (q * values[n.input[1]].astype(np.float32)).astype(np.float32)
    weights = {k.removeprefix("inner."): v for k, v in values.items() if k.startswith("inner.")}
    for n in model.graph.node:  # a linear layer: Add(MatMul(x, W), <name>.bias)
        if n.op_type != "Add":
            continue
        bias = [x for x in n.input if x.startswith("inner.") and x.endswith(".bias")]
        other = [x for x in n.input if x not in bias]
        if len(bias) == 1 and len(other) == 1 and other[0] in producer:
            mm = producer[other[0]]
            if mm.op_type == "MatMul" and mm.input[1] in values:
                weights[bias[0].removeprefix("inner.").removesuffix(".bias") + ".weight"] = values[
                    mm.input[1]
                ]
    missing = [k for k in _required_names() if k not in weights]
    if missing:
        raise BuildRejected(f"the packaged graph does not have the expected layout (missing {missing[:3]})")
    return weights


def _required_names() -> list[str]:
    names = [f"embeddings.{k}" for k in ("word_embeddings.weight", "position_embeddings.weight")]
    names += [
        "embeddings.token_type_embeddings.weight",
        "embeddings.LayerNorm.weight",
        "embeddings.LayerNorm.bias",
    ]
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        for part in ("attention.self.query", "attention.self.key", "attention.self.value"):
            names += [p + part + ".weight", p + part + ".bias"]
        for part in ("attention.output.dense", "intermediate.dense", "output.dense"):
            names += [p + part + ".weight", p + part + ".bias"]
        for part in ("attention.output.LayerNorm", "output.LayerNorm"):
            names += [p + part + ".weight", p + part + ".bias"]
    return names


def bert_graph(weights: dict[str, np.ndarray], *, extra_outputs: Sequence[str] = ()) -> Any:
    """The fp32 BERT graph in ONNX Runtime's fused form. Inputs int32 `input_ids`, `attention_mask`
    (right-padded); output `sentence_embedding`: masked mean of the last layer, L2-normalised."""
    from onnx import TensorProto, helper, numpy_helper

    inits: list[Any] = []
    nodes: list[Any] = []
    w = {k: v.astype(np.float32) for k, v in weights.items() if v.dtype.kind == "f"}

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def weight(name: str, key: str) -> str:
        return const(name, w[key])

    def node(op: str, inputs: list[str], output: str, name: str, **attrs: Any) -> None:
        domain = MS if op in ("EmbedLayerNormalization", "Attention", "BiasGelu") else ""
        nodes.append(helper.make_node(op, inputs, [output], name=name, domain=domain, **attrs))

    def skip_norm(a: str, skip: str, gamma: str, beta: str, bias: str, output: str, name: str) -> None:
        # LayerNorm(a + bias + skip) as two Adds and the standard LayerNormalization, not the
        # contrib SkipLayerNormalization: ONNX Runtime's CPU kernel of that one accumulates each row
        # in double, one element at a time -- 5x slower (570 vs 107 us on 32 x 9 x 384), a quarter
        # of the whole model's time.
        node("Add", [a, bias], f"{name}_biased", f"{name}_bias")
        node("Add", [f"{name}_biased", skip], f"{name}_sum", f"{name}_skip")
        node("LayerNormalization", [f"{name}_sum", gamma, beta], output, name, axis=-1, epsilon=EPS)

    # Every token has type 0: its embedding row is folded into the position embeddings.
    pos = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    emb_inputs = ["input_ids", "", weight("word", "embeddings.word_embeddings.weight"), const("pos", pos), ""]
    emb_inputs += [
        weight("emb_g", "embeddings.LayerNorm.weight"),
        weight("emb_b", "embeddings.LayerNorm.bias"),
    ]
    nodes.append(
        helper.make_node(
            "EmbedLayerNormalization",
            [*emb_inputs, "attention_mask"],
            ["h0", "mask_index"],
            domain=MS,
            epsilon=EPS,
            name="embed",
        )
    )
    x = "h0"
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        parts = ("query", "key", "value")
        qkv_w = const(
            f"qkv_w{i}", np.concatenate([w[f"{p}attention.self.{k}.weight"] for k in parts], axis=1)
        )
        qkv_b = const(f"qkv_b{i}", np.concatenate([w[f"{p}attention.self.{k}.bias"] for k in parts]))
        att, ln1, f1, g, f2, out = f"att{i}", f"ln1_{i}", f"f1_{i}", f"g{i}", f"f2_{i}", f"h{i + 1}"
        node("Attention", [x, qkv_w, qkv_b, "mask_index"], att, f"attention{i}", num_heads=HEADS)
        node("MatMul", [att, weight(f"o_w{i}", p + "attention.output.dense.weight")], f"o{i}", f"out{i}")
        norm1 = [weight(f"ln1_g{i}", p + "attention.output.LayerNorm.weight")]
        norm1 += [weight(f"ln1_b{i}", p + "attention.output.LayerNorm.bias")]
        norm1 += [weight(f"o_b{i}", p + "attention.output.dense.bias")]
        skip_norm(f"o{i}", x, *norm1, ln1, f"norm1_{i}")
        node("MatMul", [ln1, weight(f"f1_w{i}", p + "intermediate.dense.weight")], f1, f"ffn1_{i}")
        node("BiasGelu", [f1, weight(f"f1_b{i}", p + "intermediate.dense.bias")], g, f"gelu{i}")
        node("MatMul", [g, weight(f"f2_w{i}", p + "output.dense.weight")], f2, f"ffn2_{i}")
        norm2 = [weight(f"ln2_g{i}", p + "output.LayerNorm.weight")]
        norm2 += [
            weight(f"ln2_b{i}", p + "output.LayerNorm.bias"),
            weight(f"f2_b{i}", p + "output.dense.bias"),
        ]
        skip_norm(f2, ln1, *norm2, out, f"norm2_{i}")
        x = out
    # masked mean over tokens, then unit length
    node("Cast", ["attention_mask"], "mask_f", "mask_float", to=TensorProto.FLOAT)
    node("Unsqueeze", ["mask_f", const("axis2", np.array([2], np.int64))], "mask3", "mask3")
    node("Mul", [x, "mask3"], "masked", "masked")
    node("ReduceSum", ["masked", const("axis1", np.array([1], np.int64))], "summed", "sum", keepdims=0)
    node("ReduceSum", ["mask_f", "axis1"], "count", "count", keepdims=1)
    node("Max", ["count", const("one", np.array(1.0, np.float32))], "count1", "count1")
    node("Div", ["summed", "count1"], "mean", "mean")
    node("LpNormalization", ["mean"], OUTPUT, "unit", axis=-1, p=2)
    ids = [
        helper.make_tensor_value_info(n, TensorProto.INT32, ["batch", "sequence"])
        for n in ("input_ids", "attention_mask")
    ]
    outputs = [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", HIDDEN])]
    outputs += [helper.make_empty_tensor_value_info(n) for n in extra_outputs]
    graph = helper.make_graph(nodes, "all-MiniLM-L6-v2", ids, outputs, initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])


def encode(tokenizer: Any, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Right-padded int32 feeds for the built graph (the tokenizer must not pad by itself)."""
    enc = tokenizer.encode_batch([t or " " for t in texts])
    width = max(len(e.ids) for e in enc)
    ids = np.zeros((len(enc), width), np.int32)
    mask = np.zeros((len(enc), width), np.int32)
    for row, e in enumerate(enc):
        ids[row, : len(e.ids)] = e.ids
        mask[row, : len(e.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def _session(model: Any) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(
        model.SerializeToString(),
        opts,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=DISABLED_OPTIMIZERS,  # as the embedder runs it
    )


def _split_inputs() -> dict[str, str]:
    """Second feed-forward MatMul node → the activation it reads (the GELU output)."""
    return {f"ffn2_{i}": f"g{i}" for i in range(LAYERS)}


def _smoothed_inputs() -> dict[str, tuple[str, float]]:
    """Attention and first feed-forward node → the activation it reads, and SmoothQuant's alpha."""
    return {
        **{f"attention{i}": (f"h{i}", SMOOTHING) for i in range(LAYERS)},
        **{f"ffn1_{i}": (f"ln1_{i}", SMOOTHING_FFN) for i in range(LAYERS)},
    }


def activation_peaks(weights: dict[str, np.ndarray], tokenizer: Any) -> dict[str, np.ndarray]:
    """Each quantised product's input: its largest magnitude per channel over the calibration
    sentences."""
    names = [*_split_inputs().values(), *(act for act, _ in _smoothed_inputs().values())]
    sess = _session(bert_graph(weights, extra_outputs=names))
    feeds = encode(tokenizer, CALIBRATION)
    outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds), strict=True))
    real = feeds["attention_mask"].astype(bool)
    return {n: np.abs(outs[n][real]).max(axis=0) for n in names}


def smooth_inputs(model: Any, peaks: dict[str, np.ndarray]) -> None:
    """x·W = (x / s)·(s W) with s = peak(x)^alpha / peak(W row)^(1 - alpha) per channel
    (SmoothQuant): the input's large channels shrink and its weights' rows grow to match, so neither
    side's int8 grid is set by a few channels. The division is a Mul before the product (each of
    these tensors also feeds a residual, so it cannot be folded into the layer norm)."""
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    for node_name, (act, alpha) in _smoothed_inputs().items():
        node = next(n for n in graph.node if n.name == node_name)
        weight = numpy_helper.to_array(inits[node.input[1]])
        scale = np.maximum(peaks[act], 1e-5) ** alpha / np.maximum(np.abs(weight).max(axis=1), 1e-5) ** (
            1 - alpha
        )
        scale = (scale / np.median(scale)).astype(np.float32)
        inits[node.input[1]].CopyFrom(
            numpy_helper.from_array((weight * scale[:, None]).astype(np.float32), node.input[1])
        )
        graph.initializer.append(
            numpy_helper.from_array((1.0 / scale).astype(np.float32), f"{node_name}_smooth")
        )
        x = node.input[0]
        node.input[0] = f"{node_name}_smoothed"
        mul = helper.make_node("Mul", [x, f"{node_name}_smooth"], [node.input[0]], name=f"{node_name}_smooth")
        graph.node.insert(list(graph.node).index(node), mul)


def split_outliers(model: Any, peaks: dict[str, np.ndarray], *, k: int = OUTLIERS) -> list[str]:
    """y = x·W becomes (x with its k largest channels zeroed)·W + x[:, those]·W[those, :]; the first
    product is quantised, the second stays fp32. Returns the fp32 side products' node names."""
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    side_nodes = []
    for node_name, act in _split_inputs().items():
        node = next(n for n in graph.node if n.name == node_name)
        weight = numpy_helper.to_array(inits[node.input[1]])
        chans = np.sort(np.argsort(peaks[act])[::-1][:k]).astype(np.int64)
        keep = np.ones(weight.shape[0], np.float32)
        keep[chans] = 0.0
        graph.initializer.extend(
            [
                numpy_helper.from_array(keep, f"{node_name}_keep"),
                numpy_helper.from_array(chans, f"{node_name}_chans"),
                numpy_helper.from_array(np.ascontiguousarray(weight[chans]), f"{node_name}_side_w"),
            ]
        )
        x, y = node.input[0], node.output[0]
        node.input[0], node.output[0] = f"{node_name}_kept", f"{y}_main"
        at = list(graph.node).index(node)
        before = [
            helper.make_node(
                "Mul", [x, f"{node_name}_keep"], [f"{node_name}_kept"], name=f"{node_name}_keep"
            ),
            helper.make_node(
                "Gather",
                [x, f"{node_name}_chans"],
                [f"{node_name}_picked"],
                axis=-1,
                name=f"{node_name}_pick",
            ),
            helper.make_node(
                "MatMul",
                [f"{node_name}_picked", f"{node_name}_side_w"],
                [f"{y}_side"],
                name=f"{node_name}_side",
            ),
        ]
        for offset, n in enumerate(before):
            graph.node.insert(at + offset, n)
        join = helper.make_node("Add", [f"{y}_main", f"{y}_side"], [y], name=f"{node_name}_join")
        graph.node.insert(at + len(before) + 1, join)
        side_nodes.append(f"{node_name}_side")
    return side_nodes


def quantise(model: Any, *, keep_fp32: Sequence[str], full_range: bool) -> Any:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp, _quiet_root_logger():
        out = Path(tmp) / "int8.onnx"
        quantize_dynamic(
            model,
            out,
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=not full_range,
            op_types_to_quantize=["MatMul", "Attention"],
            nodes_to_exclude=list(keep_fp32),
            # contrib ops have no type inference in onnx; every tensor here is float
            extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        return onnx.load(str(out))


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """The quantiser logs advice ('consider pre-processing') to the root logger on every call."""

    def drop(record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Please consider")

    root = logging.getLogger()
    root.addFilter(drop)
    try:
        yield
    finally:
        root.removeFilter(drop)


def packaged_vectors(model_path: Path, tokenizer: Any, texts: Sequence[str]) -> np.ndarray:
    """The packaged graph's vectors, one text at a time (no padding), for comparison."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
    rows = []
    for text in texts:
        ids = np.array([tokenizer.encode(text).ids], np.int64)
        hidden = sess.run(
            None,
            {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
        )
        mean = hidden[0][0].mean(axis=0)
        rows.append(mean / np.linalg.norm(mean))
    return np.array(rows, np.float32)


def build_graph(
    model_path: Path, tokenizer: Any, *, variant: str = "int8", full_range: bool = False
) -> tuple[bytes, BuildReport]:
    """Serialized ONNX of the fast graph ("int8" or "fp32") and how close its vectors are to the
    packaged graph's on the probe sentences. `tokenizer` must not pad and must truncate to the window;
    `full_range`: 8-bit weights (see `full_range_int8`), else 7-bit."""
    if variant not in ("int8", "fp32"):
        raise ValueError(f"unknown variant {variant!r}")
    weights = packaged_weights(model_path)
    model = bert_graph(weights)
    outliers = 0
    if variant == "int8":
        peaks = activation_peaks(weights, tokenizer)
        smooth_inputs(model, peaks)
        side = split_outliers(model, peaks)
        model = quantise(model, keep_fp32=side, full_range=full_range)
        outliers = OUTLIERS
    sess = _session(model)
    ours = np.concatenate([sess.run(None, encode(tokenizer, [t]))[0] for t in PROBES])
    cos = (ours * packaged_vectors(model_path, tokenizer, PROBES)).sum(axis=1)
    report = BuildReport(variant, round(float(cos.min()), 5), round(float(cos.mean()), 5), outliers)
    # A wrong graph lands far below these (a misread weight gives ~0.6); int8 measures ~0.99+.
    if report.mean_cosine < 0.99 or report.min_cosine < 0.97:
        raise BuildRejected(f"the {variant} graph drifts from the packaged model: {report}")
    return model.SerializeToString(), report
