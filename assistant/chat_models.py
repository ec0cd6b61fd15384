"""The chat models an LLM answer can come from, made from the settings.

``ASSISTANT_LLM=openai`` talks to any OpenAI-compatible server (Ollama, llama.cpp's server,
vLLM, LM Studio, OpenAI) through langchain-openai (the ``[openai]`` extra);
``ASSISTANT_LLM=llamacpp`` runs a GGUF file in process with llama-cpp-python (the ``[llm]``
extra), as ``LlamaCppChat``. Both are LangChain chat models, so a test passes
``GenericFakeChatModel`` wherever one is expected.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from .config import Settings
from .errors import ConfigError

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

log = logging.getLogger(__name__)

__all__ = ["SEED", "TEMPERATURE", "LlamaCppChat", "make_chat_model", "text_of"]

#: Low but not zero: greedy decoding makes small models repeat themselves.
TEMPERATURE = 0.1
#: A fixed sampling seed: the same question on the same sources gets the same answer.
SEED = 42


def text_of(chunk: Any) -> str:
    """The text of a message or a streamed chunk (content blocks joined)."""
    content = getattr(chunk, "content", chunk)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(
            b if isinstance(b, str) else str(b.get("text", ""))
            for b in content
            if isinstance(b, str | dict)
        )
    return ""


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in process by llama-cpp-python, as a LangChain chat model.

    The model is loaded once, on first use; calls are serialised (a ``Llama`` is not
    thread-safe). Needs the ``[llm]`` extra, built portable::

        CMAKE_ARGS="-DGGML_NATIVE=OFF ..." pip install -e '.[llm]'

    Example:
        >>> chat = LlamaCppChat(model_path="SmolLM2-135M-Instruct.Q4_1.gguf")
        >>> chat.invoke("Say hi").content
    """

    model_path: Path
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 400
    temperature: float = TEMPERATURE
    seed: int = SEED

    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-in-process"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": str(self.model_path), "n_ctx": self.n_ctx}

    def _load(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as e:
                raise ConfigError(_LLAMA_MISSING) from e
            log.info("loading %s", self.model_path)
            self._llama = Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                verbose=False,
            )
        return self._llama

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "seed": kwargs.get("seed", self.seed),
            "stop": stop or [],
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._lock:
            out = self._load().create_chat_completion(
                messages=_as_dicts(messages), **self._params(stop, kwargs)
            )
        content = out["choices"][0]["message"].get("content") or ""
        usage = out.get("usage") or {}
        message = AIMessage(
            content=content,
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._lock:
            parts = self._load().create_chat_completion(
                messages=_as_dicts(messages), stream=True, **self._params(stop, kwargs)
            )
            try:
                for part in parts:
                    text = part["choices"][0].get("delta", {}).get("content")
                    if not text:
                        continue
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
            finally:
                close = getattr(parts, "close", None)
                if close:
                    close()


def _as_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    return [{"role": roles.get(m.type, "user"), "content": text_of(m)} for m in messages]


# --- building from settings --------------------------------------------------------------------
_LLAMA_MISSING = (
    "ASSISTANT_LLM=llamacpp needs llama-cpp-python. Install it with "
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON '
    '-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" '
    "pip install -e '.[llm]'"
)


def make_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model ``settings.llm`` names; ``ConfigError`` saying what to set if unusable."""
    if settings.llm == "openai":
        return _openai_model(settings)
    if settings.llm == "llamacpp":
        path = settings.llm_model_path
        if path is None:
            raise ConfigError(
                "ASSISTANT_LLM=llamacpp needs ASSISTANT_LLM_MODEL_PATH: the path "
                "of a .gguf model file."
            )
        if not Path(path).is_file():
            raise ConfigError(
                f"ASSISTANT_LLM_MODEL_PATH points at {path}, which is not a file. "
                "Set it to the path of a .gguf model file."
            )
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(_LLAMA_MISSING)
        return LlamaCppChat(model_path=Path(path), max_tokens=settings.llm_max_tokens)
    raise ConfigError(
        f"ASSISTANT_LLM={settings.llm!r} names no language model back-end; "
        "use 'none', 'openai' or 'llamacpp'."
    )


def _openai_model(settings: Settings) -> BaseChatModel:
    missing = [
        name
        for name, value in (
            ("ASSISTANT_LLM_BASE_URL", settings.llm_base_url),
            ("ASSISTANT_LLM_MODEL", settings.llm_model),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"ASSISTANT_LLM=openai needs {' and '.join(missing)}, e.g. for Ollama "
            "ASSISTANT_LLM_BASE_URL=http://localhost:11434/v1 ASSISTANT_LLM_MODEL=qwen2.5:3b "
            "(for OpenAI itself: https://api.openai.com/v1 and ASSISTANT_LLM_API_KEY)."
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as e:
        raise ConfigError(
            "ASSISTANT_LLM=openai needs langchain-openai: pip install -e '.[openai]'"
        ) from e
    model_class: type[ChatOpenAI] = ChatOpenAI
    if (urlparse(str(settings.llm_base_url)).hostname or "") != "api.openai.com":
        model_class = _compatible_chat_openai()
    params: dict[str, Any] = {
        "base_url": settings.llm_base_url,
        "model": str(settings.llm_model),
        "api_key": settings.llm_api_key,
        "timeout": settings.llm_timeout,
        "max_retries": 0,
        "streaming": True,
        "max_tokens": settings.llm_max_tokens,
        "temperature": TEMPERATURE,
        "seed": SEED,
    }
    return model_class(**params)


@functools.cache
def _compatible_chat_openai() -> type[ChatOpenAI]:
    """``ChatOpenAI`` that sends ``max_tokens``, as every OpenAI-compatible server reads it.

    langchain-openai sends ``max_completion_tokens``, which llama.cpp's server (and older
    Ollama) ignore: they would generate until the context is full.
    """
    from langchain_openai import ChatOpenAI

    class CompatibleChatOpenAI(ChatOpenAI):
        def _get_request_payload(
            self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any
        ) -> dict[str, Any]:
            payload = super()._get_request_payload(input_, stop=stop, **kwargs)
            if "max_completion_tokens" in payload:
                payload["max_tokens"] = payload.pop("max_completion_tokens")
            return payload

    return CompatibleChatOpenAI
