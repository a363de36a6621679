"""GenerationRequest: the validation table, word counting, and the body sent to the provider."""

import pytest

from seedance_ui.client import (
    GenerationRequest,
    ValidationError,
    count_chinese_chars,
    count_english_words,
)
from seedance_ui.options import ASPECT_RATIOS, MODELS, QUALITIES

OK = GenerationRequest(prompt="A red fox runs through fresh snow at dawn, slow dolly in.")


def test_defaults_are_valid():
    OK.validate()
    assert OK.problems() == []


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"prompt": ""}, "prompt", "must not be empty"),
        ({"prompt": "   \n\t "}, "prompt", "must not be empty"),
        ({"prompt": None}, "prompt", "must be text"),
        ({"prompt": "word " * 1001}, "prompt", "at most 1000 English words (got 1001)"),
        ({"prompt": "山" * 501}, "prompt", "at most 500 Chinese characters (got 501)"),
        ({"model": "seedance-3.0"}, "model", "must be one of seedance-2.0-text-to-video"),
        ({"duration": 20}, "duration", "must be a whole number of seconds from 4 to 15 (got 20)"),
        ({"duration": 3}, "duration", "from 4 to 15 (got 3)"),
        ({"duration": 16}, "duration", "(got 16)"),
        ({"duration": -1}, "duration", "(got -1)"),
        ({"duration": 8.0}, "duration", "(got 8.0)"),
        ({"duration": 8.5}, "duration", "(got 8.5)"),
        ({"duration": True}, "duration", "(got True)"),
        ({"duration": "8"}, "duration", "(got '8')"),
        ({"quality": "1080p"}, "quality", "must be one of 480p, 720p (got '1080p')"),
        ({"aspect_ratio": "2.35:1"}, "aspect_ratio", "must be one of 16:9"),
        ({"generate_audio": "yes"}, "generate_audio", "must be true or false (got 'yes')"),
        ({"generate_audio": 1}, "generate_audio", "must be true or false (got 1)"),
        ({"web_search": None}, "web_search", "must be true or false"),
        ({"callback_url": "http://example.com/hook"}, "callback_url", "must be an https:// URL"),
        ({"callback_url": "example.com/hook"}, "callback_url", "must be an https:// URL"),
        ({"callback_url": "https://" + "a" * 2050 + ".com"}, "callback_url", "at most 2048 characters"),
        ({"callback_url": "https://localhost/hook"}, "callback_url", "must not point at localhost"),
        ({"callback_url": "https://LocalHost./hook"}, "callback_url", "must not point at localhost"),
        ({"callback_url": "https://api.localhost/hook"}, "callback_url", "localhost"),
        ({"callback_url": "https://127.0.0.1/hook"}, "callback_url", "loopback"),
        ({"callback_url": "https://127.1/hook"}, "callback_url", "(got 127.0.0.1)"),
        ({"callback_url": "https://2130706433/hook"}, "callback_url", "(got 127.0.0.1)"),
        ({"callback_url": "https://10.1.2.3:8443/hook"}, "callback_url", "private"),
        ({"callback_url": "https://192.168.0.10/hook"}, "callback_url", "private"),
        ({"callback_url": "https://172.16.5.4/hook"}, "callback_url", "private"),
        ({"callback_url": "https://169.254.169.254/latest"}, "callback_url", "link-local"),
        ({"callback_url": "https://0.0.0.0/hook"}, "callback_url", "unspecified"),
        ({"callback_url": "https://240.0.0.1/hook"}, "callback_url", "reserved"),
        ({"callback_url": "https://[::1]/hook"}, "callback_url", "(got ::1)"),
        ({"callback_url": "https://[fe80::1]/hook"}, "callback_url", "(got fe80::1)"),
        ({"callback_url": "https://[::ffff:10.0.0.1]/hook"}, "callback_url", "(got 10.0.0.1)"),
        ({"callback_url": "https://[::]/hook"}, "callback_url", "(got ::)"),
        ({"callback_url": "https:///hook"}, "callback_url", "must name a host"),
        ({"callback_url": "https://exa mple.com/"}, "callback_url", "spaces"),
        ({"callback_url": 42}, "callback_url", "must be text"),
    ],
)
def test_each_rule_names_the_field_and_the_rule(changes, field, fragment):
    request = GenerationRequest(**{**OK.to_params(), **changes})
    with pytest.raises(ValidationError) as caught:
        request.validate()
    error = caught.value
    assert error.field == field
    assert error.message.startswith(f"{field}: ")
    assert fragment in error.message
    assert str(error) == error.message
    assert field in error.hint


def test_the_duration_message_reads_as_specified():
    with pytest.raises(ValidationError) as caught:
        GenerationRequest(prompt="x", duration=20).validate()
    assert str(caught.value) == "duration: must be a whole number of seconds from 4 to 15 (got 20)"
    assert caught.value.rule == "must be a whole number of seconds from 4 to 15 (got 20)"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hooks/seedance?x=1",
        "https://hooks.example.org:8443/a/b",
        "https://8.8.8.8/hook",
        "https://[2606:4700::1111]/hook",
        "https://my-localhost-service.com/hook",
    ],
)
def test_public_https_callbacks_are_accepted(url):
    GenerationRequest(prompt="x", callback_url=url).validate()


def test_empty_callback_counts_as_none():
    request = GenerationRequest(prompt="x", callback_url="")
    request.validate()
    assert "callback_url" not in request.to_body()


@pytest.mark.parametrize("value", [*MODELS])
def test_every_model_from_options_is_accepted(value):
    GenerationRequest(prompt="x", model=value).validate()


@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("ratio", ASPECT_RATIOS)
def test_every_quality_and_ratio_from_options_is_accepted(quality, ratio):
    GenerationRequest(prompt="x", quality=quality, aspect_ratio=ratio).validate()


@pytest.mark.parametrize("duration", [4, 8, 15])
def test_boundary_durations_are_accepted(duration):
    GenerationRequest(prompt="x", duration=duration).validate()


def test_problems_lists_every_rule_and_validate_raises_the_first():
    bad = GenerationRequest(prompt=" ", duration=99, quality="4k", web_search="no")
    fields = [p.field for p in bad.problems()]
    assert fields == ["prompt", "duration", "quality", "web_search"]
    with pytest.raises(ValidationError) as caught:
        bad.validate()
    assert caught.value.field == "prompt"


def test_limits_are_inclusive():
    GenerationRequest(prompt="word " * 1000).validate()
    GenerationRequest(prompt="山" * 500).validate()


@pytest.mark.parametrize(
    ("text", "words", "han"),
    [
        ("", 0, 0),
        ("A cat.", 2, 0),
        ("Don't stop — state-of-the-art camera, 4K 2.35", 7, 0),
        ("一只猫在雪地里奔跑", 0, 9),
        ("一只 cat 在 snow 里", 2, 4),
        ("She said: \"You're here.\"", 4, 0),
        ("café naïve", 2, 0),
    ],
)
def test_counters(text, words, han):
    assert count_english_words(text) == words
    assert count_chinese_chars(text) == han


def test_to_body_has_the_contract_shape():
    request = GenerationRequest(
        prompt="  A lighthouse in a storm.  ",
        duration=8,
        quality="480p",
        aspect_ratio="9:16",
        generate_audio=False,
        web_search=True,
        callback_url="https://example.com/hook",
    )
    assert request.to_body() == {
        "model": "seedance-2.0-text-to-video",
        "prompt": "A lighthouse in a storm.",
        "duration": 8,
        "quality": "480p",
        "aspect_ratio": "9:16",
        "generate_audio": False,
        "model_params": {"web_search": True},
        "callback_url": "https://example.com/hook",
    }
    assert "callback_url" not in OK.to_body()


def test_params_round_trip_and_tolerate_unknown_and_missing_keys():
    request = GenerationRequest(prompt="p", duration=12, web_search=True)
    params = request.to_params()
    assert list(params) == [
        "prompt", "model", "duration", "quality", "aspect_ratio", "generate_audio", "web_search",
        "callback_url",
    ]
    assert GenerationRequest.from_params(params) == request
    assert GenerationRequest.from_params({**params, "future_field": 1}) == request
    assert GenerationRequest.from_params({"prompt": "p"}) == GenerationRequest(prompt="p")
    nested = GenerationRequest.from_params({"prompt": "p", "model_params": {"web_search": True}})
    assert nested.web_search is True


def test_validation_happens_before_any_network_call():
    import httpx

    from seedance_ui.client import SeedanceClient

    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(200, json={"id": "t"})

    async def go():
        async with SeedanceClient("k", transport=httpx.MockTransport(handler)) as client:
            with pytest.raises(ValidationError):
                await client.create(GenerationRequest(prompt="x", duration=2))

    import asyncio

    asyncio.run(go())
    assert calls == []
