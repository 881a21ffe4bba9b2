"""Config strings → provider objects, importing each vendor module only when it is chosen."""

from __future__ import annotations

from pathlib import Path

from echome.providers.base import Embedder, Reranker, VectorStore


class ConfigError(ValueError):
    pass


def make_embedder(
    spec: str, *, openai_api_key: str | None = None, openai_base_url: str | None = None
) -> Embedder:
    kind, _, model = spec.partition(":")
    if kind == "local":
        if model not in ("", "minilm", "all-MiniLM-L6-v2"):
            raise ConfigError(f"unknown local embedder {model!r}; available: local:minilm")
        from echome.providers.embed_onnx import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder()
    if kind == "openai":
        if not openai_api_key:
            raise ConfigError("the OpenAI embedder needs ECHOME_OPENAI_API_KEY")
        from echome.providers.embed_openai import OpenAIEmbedder

        return OpenAIEmbedder(
            api_key=openai_api_key,
            model=model or "text-embedding-3-small",
            base_url=openai_base_url or "https://api.openai.com/v1",
        )
    if kind == "fake":
        from echome.providers.fakes import HashingEmbedder

        return HashingEmbedder()
    raise ConfigError(f"unknown embedder {spec!r}; use local:minilm, openai:MODEL or fake:hashing")


def make_vector_store(
    kind: str,
    *,
    data_dir: Path,
    chroma_url: str | None = None,
    qdrant_url: str | None = None,
    qdrant_api_key: str | None = None,
) -> VectorStore:
    if kind == "chroma":
        from echome.providers.store_chroma import ChromaStore

        return ChromaStore(path=data_dir / "vectors" / "chroma", url=chroma_url)
    if kind == "qdrant":
        from echome.providers.store_qdrant import QdrantStore

        return QdrantStore(
            url=qdrant_url,
            path=None if qdrant_url else data_dir / "vectors" / "qdrant",
            api_key=qdrant_api_key,
        )
    if kind == "memory":
        from echome.providers.fakes import MemoryVectorStore

        return MemoryVectorStore()
    raise ConfigError(f"unknown vector store {kind!r}; use chroma, qdrant or memory")


def make_reranker(
    spec: str, *, cohere_api_key: str | None = None, cohere_base_url: str | None = None
) -> Reranker:
    kind, _, model = spec.partition(":")
    if kind == "local":
        from echome.providers.rerank_local import LocalReranker

        return LocalReranker()
    if kind == "none":
        from echome.providers.rerank_local import NoReranker

        return NoReranker()
    if kind == "cohere":
        if not cohere_api_key:
            raise ConfigError("the Cohere reranker needs ECHOME_COHERE_API_KEY")
        from echome.providers.rerank_cohere import CohereReranker

        return CohereReranker(
            api_key=cohere_api_key,
            model=model or "rerank-v3.5",
            base_url=cohere_base_url or "https://api.cohere.com",
        )
    raise ConfigError(f"unknown reranker {spec!r}; use local, none or cohere:MODEL")
