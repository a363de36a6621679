"""`CraftService` (`runtime.craft`): enhance, translate, variations and shot plans from a chat model.

Every call: the feature must be on (SEEDANCE_LLM), the text within its cap, the key chosen by the hosting
rules (`access.py`), the visitor within the rate limit, and the day's token cap must cover the call's
estimate (`usage.py`), all before anything is sent. The SDK then talks to the OpenAI-compatible endpoint
(streaming for enhance and translate); its typed errors become one line (`errors.py`). What the model
answers is untrusted: cleaned and capped as it streams, and a suggestion is only `Done` once the guard
(`guard.py`) found it keeps the tags, cast names and dialogue; structured answers (variations, shot
plans) are validated and retried once with the problems found. Nothing here changes a prompt: the writer
accepts or discards what it returns. No Gradio.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from seedance_ui.config import Settings
from seedance_ui.llm import prompts
from seedance_ui.llm.access import Access, KeyChoice, Refused
from seedance_ui.llm.client import ClientPool
from seedance_ui.llm.errors import NOTHING_CHANGED, describe, is_sdk_error
from seedance_ui.llm.events import Caller, CraftEvent, Delta, Done, Failed, PlannedShot, ShotPlan
from seedance_ui.llm.guard import MAX_OUTPUT_CHARS, clean, suggestion_problems, tidy
from seedance_ui.llm.plan import Checked, check_plan, parse_json
from seedance_ui.llm.usage import TokenLedger, estimate_tokens
from seedance_ui.store import Database
from seedance_ui.storyboard.cast import MAX_CAST

__all__ = ["Caller", "CraftEvent", "CraftService", "Delta", "Done", "Failed", "PlannedShot", "ShotPlan"]

log = logging.getLogger("seedance_ui.llm")

MAX_SCRIPT_CHARS = 30_000  # a script or treatment for Plan shots (a few thousand words)
MAX_SUGGESTION_TOKENS = 4_000  # output cap of one enhancement or translation
MAX_VARIATIONS_TOKENS = 6_000
MAX_PLAN_TOKENS = 16_000
OFF_MESSAGE = "Crafting with a model is off on this studio (SEEDANCE_LLM=0)."


@dataclass(frozen=True)
class _Answer:
    """One non-streamed answer: its text (cleaned), tokens, and why it cannot be used (or None)."""

    text: str
    tokens: int
    failure: str | None = None


class CraftService:
    """The crafting features over one SDK client per key; thread-safe."""

    def __init__(self, settings: Settings, db: Database, simulator_url: str | None = None, *,
                 pool: ClientPool | None = None, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.enabled = settings.llm
        self._pool = pool or ClientPool(settings, simulator_url)
        self._access = Access(settings, db, clock)
        self._tokens = TokenLedger(db, settings.visitor_daily_llm_tokens, clock)
        self._json_schema = True  # response_format is honoured until the endpoint refuses it (400)

    # -- the features ----------------------------------------------------------------------------------
    def enhance(self, caller: Caller, prompt: str) -> Iterator[CraftEvent]:
        """Stream a rewrite along Seedance's guidance: Delta pieces, then Done (guarded) or Failed."""
        yield from self._suggest(caller, prompt, lambda text: prompts.enhance_messages(text))

    def translate(self, caller: Caller, prompt: str, target: Literal["en", "zh"]) -> Iterator[CraftEvent]:
        """Stream a translation into English ("en") or Chinese ("zh"), tags and dialogue kept."""
        if target not in prompts.LANGUAGES:
            yield Failed(f"target must be one of {', '.join(prompts.LANGUAGES)} (got {target!r}).")
            return
        yield from self._suggest(caller, prompt, lambda text: prompts.translate_messages(text, target))

    def variations(self, caller: Caller, prompt: str) -> list[str] | Failed:
        """Exactly three alternatives (another camera or mood, same subject), each guarded."""

        def check(data: Any) -> tuple[list[str] | None, list[str]]:
            return _check_variations(prompt, data)

        result = self._structured(caller, prompt, self.settings.max_prompt_chars, "prompt",
                                  prompts.variations_messages(prompt), "variations",
                                  prompts.VARIATIONS_SCHEMA, MAX_VARIATIONS_TOKENS, check)
        return result if isinstance(result, Failed) else result[0]

    def plan_shots(self, caller: Caller, script: str, cast_names: Sequence[str]) -> ShotPlan | Failed:
        """A shot list for `script`, validated by the board's rules; cast names matched to `cast_names`."""
        names = [n for n in cast_names if isinstance(n, str)][:MAX_CAST] if cast_names else []

        def check(data: Any) -> tuple[Checked | None, list[str]]:
            checked = check_plan(data, names)
            return (checked if not checked.problems else None), list(checked.problems)

        result = self._structured(caller, script, MAX_SCRIPT_CHARS, "script",
                                  prompts.plan_messages(script, names), "shot_plan", prompts.PLAN_SCHEMA,
                                  MAX_PLAN_TOKENS, check)
        if isinstance(result, Failed):
            return result
        checked, tokens = result
        return ShotPlan(checked.shots, checked.unknown_cast, tokens)

    def usage_today(self, caller: Caller) -> tuple[int, int]:
        """(tokens counted against the cap today, the daily cap; 0: no cap)."""
        return self._tokens.used_today(caller), self._tokens.daily_cap

    def close(self) -> None:
        self._pool.close()

    # -- admission ---------------------------------------------------------------------------------------
    def _admit(self, caller: Caller, text: Any, limit: int, field: str) -> KeyChoice | Failed:
        """Feature on, text within its cap, key policy, rate limit: before anything is counted or sent."""
        if not self.enabled:
            return Failed(OFF_MESSAGE)
        if not isinstance(text, str) or not text.strip():
            return Failed(f"The {field} is empty: write something first.")
        if len(text) > limit:
            return Failed(f"The {field} must be at most {limit:,} characters for the model "
                          f"(got {len(text):,}).")
        try:
            choice = self._access.choose_key(caller)
            self._access.admit(caller)
        except Refused as refused:
            return Failed(refused.message)
        return choice

    def _reserve(self, caller: Caller, choice: KeyChoice, messages: list[prompts.Message],
                 max_tokens: int) -> tuple[str, int] | Failed:
        """(call id, tokens reserved) when the day's cap covers the call, else Failed (nothing sent)."""
        estimate = estimate_tokens([m["content"] for m in messages], max_tokens)
        call_id = self._tokens.reserve(caller, estimate, capped=choice.capped)
        if call_id is None:
            return Failed(self._tokens.refusal(caller, estimate))
        return call_id, estimate

    # -- streamed suggestions --------------------------------------------------------------------------
    def _suggest(self, caller: Caller, original: str,
                 build: Callable[[str], list[prompts.Message]]) -> Iterator[CraftEvent]:
        choice = self._admit(caller, original, self.settings.max_prompt_chars, "prompt")
        if isinstance(choice, Failed):
            yield choice
            return
        messages = build(original)
        reserved = self._reserve(caller, choice, messages, MAX_SUGGESTION_TOKENS)
        if isinstance(reserved, Failed):
            yield reserved
            return
        call_id, _ = reserved
        parts: list[str] = []
        state: dict[str, Any] = {"usage": None, "refusal": "", "finish": None}
        try:
            yield from self._stream(choice, messages, parts, state)
        except _TooLong:
            yield Failed(f"The model's answer ran past {MAX_OUTPUT_CHARS:,} characters. {NOTHING_CHANGED}")
            return
        except Exception as exc:  # an SDK error, or a bug of ours: one line either way, never a traceback
            _log_failure(exc)
            yield Failed(describe(exc))
            return
        finally:
            self._tokens.settle(call_id, _used(state["usage"], messages, "".join(parts)))
        tokens = _used(state["usage"], messages, "".join(parts))
        yield _suggestion(original, "".join(parts), tokens, state)

    def _stream(self, choice: KeyChoice, messages: list[prompts.Message], parts: list[str],
                state: dict[str, Any]) -> Iterator[Delta]:
        """Delta pieces of one streamed call, collected into `parts`; usage, refusal, finish into `state`."""
        client = self._pool.get(choice.key)
        stream = client.chat.completions.create(
            model=self.settings.llm_model, messages=messages, stream=True,  # type: ignore[arg-type]
            max_tokens=MAX_SUGGESTION_TOKENS, stream_options={"include_usage": True},
        )
        size = 0
        try:
            for chunk in stream:
                if getattr(chunk, "usage", None) is not None:
                    state["usage"] = chunk.usage.total_tokens
                for item in chunk.choices or ():
                    state["refusal"] += getattr(item.delta, "refusal", None) or ""
                    state["finish"] = item.finish_reason or state["finish"]
                    piece = clean(item.delta.content or "")
                    size += len(piece)
                    if size > MAX_OUTPUT_CHARS:
                        raise _TooLong
                    if piece:
                        parts.append(piece)
                        yield Delta(piece)
        finally:
            stream.close()

    # -- structured answers ----------------------------------------------------------------------------
    def _structured(self, caller: Caller, text: str, limit: int, field: str, messages: list[prompts.Message],
                    name: str, schema: dict[str, Any], max_tokens: int,
                    check: Callable[[Any], tuple[Any, list[str]]]) -> tuple[Any, int] | Failed:
        """A JSON answer checked by `check`; retried once with the problems found, then Failed listing
        them."""
        choice = self._admit(caller, text, limit, field)
        if isinstance(choice, Failed):
            return choice
        tokens, problems = 0, []
        for attempt in (1, 2):
            answer = self._ask(caller, choice, messages, name, schema, max_tokens)
            if isinstance(answer, Failed):
                return answer
            tokens += answer.tokens
            if answer.failure:
                return Failed(f"{answer.failure} {NOTHING_CHANGED}")
            data, error = parse_json(answer.text)
            result, problems = (None, [error]) if error else check(data)
            if not problems:
                return result, tokens
            log.info("structured answer %s failed validation (attempt %d): %d problems", name, attempt,
                     len(problems))
            messages = prompts.retry_messages(messages, answer.text[:MAX_OUTPUT_CHARS], problems)
        return Failed("The model's answer broke the rules twice: " + "; ".join(problems) + ". Nothing was "
                      "added: try again, or shorten the text.")

    def _ask(self, caller: Caller, choice: KeyChoice, messages: list[prompts.Message], name: str,
             schema: dict[str, Any], max_tokens: int) -> _Answer | Failed:
        """One counted, non-streamed call (response_format with the schema while the endpoint takes it)."""
        reserved = self._reserve(caller, choice, messages, max_tokens)
        if isinstance(reserved, Failed):
            return reserved
        call_id, _ = reserved
        used: int | None = None
        try:
            completion = self._complete(choice, messages, name, schema, max_tokens)
            used = completion.usage.total_tokens if completion.usage is not None else None
            return _answer(completion, used, messages)
        except Exception as exc:  # an SDK error, or a bug of ours: one line either way, never a traceback
            _log_failure(exc)
            return Failed(describe(exc))
        finally:
            self._tokens.settle(call_id, used if used is not None else estimate_tokens(
                [m["content"] for m in messages], 0))

    def _complete(self, choice: KeyChoice, messages: list[prompts.Message], name: str,
                  schema: dict[str, Any], max_tokens: int) -> Any:
        import openai

        client = self._pool.get(choice.key)
        request: dict[str, Any] = {"model": self.settings.llm_model, "messages": messages,
                                   "max_tokens": max_tokens}
        if self._json_schema:
            try:
                return client.chat.completions.create(
                    **request, response_format=prompts.response_format(name, schema))
            except openai.BadRequestError:
                # Not every model honours response_format: the schema is in the prompt too.
                log.info("response_format refused by the chat endpoint: schema in the prompt only from now")
                self._json_schema = False
        return client.chat.completions.create(**request)


def _log_failure(exc: BaseException) -> None:
    if is_sdk_error(exc):
        log.info("chat call failed: %s", type(exc).__name__)
    else:
        log.exception("chat call failed unexpectedly")


class _TooLong(Exception):
    """The streamed answer passed MAX_OUTPUT_CHARS."""


def _used(usage: int | None, messages: list[prompts.Message], output: str) -> int:
    """The provider's token count, else an estimate from the lengths."""
    if isinstance(usage, int) and usage >= 0:
        return usage
    return estimate_tokens([m["content"] for m in messages] + [output], 0)


def _suggestion(original: str, raw: str, tokens: int, state: dict[str, Any]) -> Done | Failed:
    """Done with the guarded suggestion, or Failed saying why it cannot be shown."""
    if state["refusal"].strip() or state["finish"] == "content_filter":
        return Failed(f"The model declined to rewrite this prompt. {NOTHING_CHANGED}")
    if state["finish"] == "length":
        return Failed(f"The model's answer was cut off at its length limit. {NOTHING_CHANGED}")
    text, notes = tidy(raw)
    if not text:
        return Failed(f"The model answered with nothing: try again. {NOTHING_CHANGED}")
    problems = suggestion_problems(original, text)
    if problems:
        return Failed("The suggestion was not shown because " + "; ".join(problems) + f". {NOTHING_CHANGED}")
    return Done(text, tokens, notes)


def _answer(completion: Any, used: int | None, messages: list[prompts.Message]) -> _Answer:
    choices = getattr(completion, "choices", None) or []
    if not choices:
        return _Answer("", used or 0, "The model answered with nothing: try again.")
    message, finish = choices[0].message, choices[0].finish_reason
    text = clean(message.content or "")
    tokens = _used(used, messages, text)
    if (getattr(message, "refusal", None) or "").strip() or finish == "content_filter":
        return _Answer(text, tokens, "The model declined this request.")
    if finish == "length":
        return _Answer(text, tokens, "The model's answer was cut off at its length limit: try less text.")
    return _Answer(text, tokens)


def _check_variations(original: str, data: Any) -> tuple[list[str] | None, list[str]]:
    items = data.get("variations") if isinstance(data, dict) else None
    count = prompts.VARIATION_COUNT
    if not isinstance(items, list) or len(items) != count or not all(isinstance(v, str) for v in items):
        return None, [f"the answer must be an object with \"variations\": a list of exactly {count} texts"]
    texts, problems = [], []
    for number, item in enumerate(items, start=1):
        text, _ = tidy(item)
        problems += [f"variation {number}: {p}" for p in suggestion_problems(original, text)]
        texts.append(text)
    return (None if problems else texts), problems
