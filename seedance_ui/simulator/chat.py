"""`POST /v1/chat/completions` on the simulator (CONTRACT-LLM.md): streamed (server-sent events, as the
OpenAI SDK parses them) and not, Bearer key checked like the video routes, errors in the contract's error
object. The answers are deterministic and clearly labelled demo text built from the studio's craft
vocabulary (`seedance_ui.prompt_craft`, a leaf module): a rewrite that adds a shot size, a camera move and
lighting around the writer's text (kept verbatim, so tags and dialogue survive), a labelled "translation",
three variations, and a shot plan with one shot per paragraph of the script.

Faults: `inject("chat", status=429)` (or 500, ...) as for every route, and triggers written in the
writer's text, `[sim:chat=<name>]`: `timeout` (answers after CHAT_TIMEOUT_SECONDS), `empty`, `refusal`,
`length` (cut off), `malformed` / `malformed-once` (not JSON; once: fixed when the conversation already
holds an answer, as a retry does), `invalid` / `invalid-once` (JSON that breaks the rules), `no-schema`
(400 for a request with `response_format`), `drop-tags` (the answer loses the tags, cast names and
dialogue).
"""

from __future__ import annotations

import json
import math
import re
import time
import zlib
from typing import TYPE_CHECKING, Any

from seedance_ui.prompt_craft import CAMERA_MOVES, LIGHTING, SHOT_SIZES

if TYPE_CHECKING:
    from seedance_ui.simulator.server import Simulator

CHAT_TIMEOUT_SECONDS = 30.0  # how long the `timeout` trigger keeps the answer back
DEMO_LABEL = "(Demo rewrite)"
TRANSLATION_LABELS = {"en": "(Demo translation to English)", "zh": "（演示翻译·中文）"}
ROLES = ("system", "user", "assistant")
_TRIGGER_RE = re.compile(r"\[sim:chat=([a-z-]+)\]", re.IGNORECASE)
_FENCE_RE = re.compile(r"<<<TEXT\n(.*)\nTEXT>>>", re.DOTALL)
_CAST_RE = re.compile(r"@\[([^\[\]\n]{1,60})\]")
_WORDS_PER_PIECE = 3
_SHOT_WORDS = ("shot", "close-up", "view", "angle", "特写", "中景", "远景", "近景")
_CAMERA_WORDS = ("camera", "pan", "dolly", "tracking", "orbit", "zoom", "tilt", "handheld", "镜头")
_LIGHT_WORDS = ("light", "lit", "sun", "glow", "shadow", "光")


class ChatInvalid(ValueError):
    """A request the endpoint refuses with 400; `param` names the field."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.message, self.param = message, param


def validate_chat(body: Any) -> dict[str, Any]:
    """The request's fields checked as the contract states them; ChatInvalid otherwise."""
    if not isinstance(body, dict):
        raise ChatInvalid("The request body must be a JSON object.", "body")
    if not isinstance(body.get("model"), str) or not body["model"].strip():
        raise ChatInvalid("model is required.", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ChatInvalid("messages must be a non-empty list.", "messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise ChatInvalid(f"messages[{i}] must have a role ({', '.join(ROLES)}) and text content.",
                              f"messages[{i}]")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool)
                                   or max_tokens < 1):
        raise ChatInvalid("max_tokens must be an integer >= 1.", "max_tokens")
    if not isinstance(body.get("stream", False), bool):
        raise ChatInvalid("stream must be a boolean.", "stream")
    return body


# -- what the demo model answers ------------------------------------------------------------------------


def writer_text(messages: list[dict[str, str]]) -> str:
    """The writer's text of the first user message (inside the studio's fence when there is one)."""
    user = next((m["content"] for m in messages if m["role"] == "user"), "")
    fenced = _FENCE_RE.search(user)
    return fenced.group(1) if fenced else user


def trigger(text: str) -> str | None:
    found = _TRIGGER_RE.search(text)
    return found.group(1).lower() if found else None


def task_of(body: dict[str, Any]) -> str:
    """enhance, translate-en, translate-zh, variations or plan, read from what was asked."""
    system = " ".join(m["content"] for m in body["messages"] if m["role"] == "system")
    fmt = json.dumps(body.get("response_format") or {})
    if '"shots"' in system or '"shots"' in fmt:
        return "plan"
    if '"variations"' in system or '"variations"' in fmt:
        return "variations"
    if "translate" in system.lower():
        return "translate-zh" if "chinese" in system.lower() else "translate-en"
    return "enhance"


def _has(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(w in lowered for w in words)


def rewrite(text: str, salt: int = 0) -> str:
    """The labelled demo rewrite: the writer's text kept verbatim, with a shot size before it and a
    camera move and lighting after it (each only when the text has none)."""
    body = text.strip()
    n = zlib.crc32(body.encode())
    head = "" if _has(body, _SHOT_WORDS) else SHOT_SIZES[(n + salt) % len(SHOT_SIZES)][1] + ". "
    tail = []
    if not _has(body, _CAMERA_WORDS) or salt:
        tail.append(CAMERA_MOVES[(n // 7 + 5 * salt) % len(CAMERA_MOVES)][1] + ".")
    if not _has(body, _LIGHT_WORDS) or salt:
        light = LIGHTING[(n // 11 + 3 * salt) % len(LIGHTING)][1]
        tail.append(light[0].upper() + light[1:] + ".")
    end = "" if not body or body[-1] in '.!?"。！？”' else "."
    return " ".join(part for part in (f"{DEMO_LABEL} {head}{body}{end}", *tail) if part)


def translate(text: str, target: str) -> str:
    return f"{TRANSLATION_LABELS[target]} {text.strip()}"


def variations(text: str) -> list[str]:
    return [rewrite(text, salt=i).replace(DEMO_LABEL, f"(Demo variation {i})", 1) for i in (1, 2, 3)]


def cast_line(system: str) -> list[str]:
    """The board's cast names as the system prompt lists them (`The board's cast: @[A], @[B].`)."""
    line = system.partition("The board's cast:")[2].partition(". ")[0]
    return _CAST_RE.findall(line)


def plan(script: str, cast: list[str]) -> dict[str, Any]:
    """One shot per paragraph: title from its first words, its first 80 words as the prompt with a shot
    size and camera move, a duration from its length; cast = board names it mentions and any @[Name]."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", script) if p.strip()] or [script.strip()]
    shots = []
    for i, para in enumerate(paragraphs):
        words = para.split()
        prompt = " ".join(words[:80])
        names = list(dict.fromkeys(_CAST_RE.findall(prompt)))
        for name in cast:
            if name.lower() in prompt.lower() and f"@[{name}]" not in prompt and name not in names:
                prompt = re.sub(re.escape(name), f"@[{name}]", prompt, count=1, flags=re.IGNORECASE)
                names.append(name)
        shots.append({
            "title": _CAST_RE.sub(r"\1", " ".join(words[:5]))[:80] or f"Shot {i + 1}",
            "prompt": rewrite(prompt, salt=0).replace(DEMO_LABEL, "(Demo plan)", 1),
            "duration": max(4, min(15, 4 + len(words) // 10)),
            "continues": i > 0 and para.lower().startswith(("then", "continuing", "moments later")),
            "cast": names,
        })
    return {"shots": shots}


def answer(body: dict[str, Any]) -> tuple[str, str | None, str]:
    """(content, refusal, finish_reason) for a request; the fault triggers in the writer's text apply."""
    messages = body["messages"]
    text = writer_text(messages)
    fault = trigger(text)
    retry = any(m["role"] == "assistant" for m in messages)
    if fault == "empty":
        return "", None, "stop"
    if fault == "refusal":
        return "", "I can't help with that request.", "stop"
    task = task_of(body)
    if fault == "malformed" or (fault == "malformed-once" and not retry):
        return '{"shots": [ {"title": "Cut off', None, "stop"
    invalid = fault == "invalid" or (fault == "invalid-once" and not retry)
    if task == "plan":
        data = plan(text, cast_line(messages[0]["content"]))
        if invalid:
            data["shots"][0]["duration"] = 30  # outside 4-15
        content = json.dumps(data, ensure_ascii=False)
    elif task == "variations":
        items = variations(text)
        content = json.dumps({"variations": items[:2] if invalid else items}, ensure_ascii=False)
    elif task.startswith("translate"):
        content = translate(text, task.rpartition("-")[2])
    else:
        content = rewrite(text)
    if fault == "length":
        return content[: len(content) // 2], None, "length"
    if fault == "drop-tags":  # a careless model: tags, cast names and dialogue lost
        content = re.sub(r'@\w+|@\[[^\]]*\]|"[^"]*"', "", content)
    return content, None, "stop"


def usage(body: dict[str, Any], content: str) -> dict[str, int]:
    prompt = math.ceil(sum(len(m["content"]) for m in body["messages"]) / 4)
    completion = math.ceil(len(content) / 4)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def completion(body: dict[str, Any], content: str, refusal: str | None, finish: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content if not refusal else None}
    if refusal:
        message["refusal"] = refusal
    return {"id": f"chatcmpl-sim{zlib.crc32(content.encode()):08x}", "object": "chat.completion",
            "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage(body, content)}


def chunks(body: dict[str, Any], content: str, refusal: str | None, finish: str) -> list[dict[str, Any]]:
    """The streamed answer: a role chunk, content a few words at a time, the finish, then usage."""
    base = {"id": f"chatcmpl-sim{zlib.crc32(content.encode()):08x}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": body["model"]}

    def chunk(delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}

    out = [chunk({"role": "assistant", "content": ""})]
    if refusal:
        out.append(chunk({"refusal": refusal}))
    pieces = re.findall(r"\S+\s*", content)
    for i in range(0, len(pieces), _WORDS_PER_PIECE):
        out.append(chunk({"content": "".join(pieces[i:i + _WORDS_PER_PIECE])}))
    out.append(chunk({}, finish))
    if (body.get("stream_options") or {}).get("include_usage"):
        out.append({**base, "choices": [], "usage": usage(body, content)})
    return out


# -- the route ---------------------------------------------------------------------------------------------


class ChatRoutes:
    """Mixed into the simulator's Handler: POST /v1/chat/completions."""

    sim: Simulator
    wfile: Any
    close_connection: bool
    _body: bytes

    # provided by the Handler (defined on it, so these never shadow BaseHTTPRequestHandler's methods)
    if TYPE_CHECKING:
        def _authorised(self) -> bool: ...
        def _passed_fault(self, route: str) -> bool: ...
        def _send_json(self, status: int, data: Any) -> None: ...
        def _send_error(self, status: int, **kw: Any) -> None: ...
        def send_response(self, code: int, message: str | None = None) -> None: ...
        def send_header(self, keyword: str, value: str) -> None: ...
        def end_headers(self) -> None: ...

    def _chat(self) -> None:
        if not self._authorised() or not self._passed_fault("chat"):
            return
        try:
            body = validate_chat(json.loads(self._body) if self._body else None)
        except ValueError as exc:
            message, param = (exc.message, exc.param) if isinstance(exc, ChatInvalid) else (
                "The request body is not valid JSON.", "body")
            self._send_error(400, code="invalid_parameters", message=message, param=param)
            return
        fault = trigger(writer_text(body["messages"]))
        if fault == "no-schema" and body.get("response_format"):
            self._send_error(400, code="invalid_parameters", message="response_format is not supported "
                             "by this model.", param="response_format")
            return
        if fault == "timeout":
            self.sim.wait(CHAT_TIMEOUT_SECONDS)
        content, refusal, finish = answer(body)
        if body.get("stream"):
            self._stream_chunks(chunks(body, content, refusal, finish))
        else:
            self._send_json(200, completion(body, content, refusal, finish))

    def _stream_chunks(self, events: list[dict[str, Any]]) -> None:
        """Server-sent events in chunked transfer encoding (the connection stays open for the next call)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events:
            self._write_chunk(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
