"""Crafting prompts with a chat model (issue #23), no Gradio: `service.CraftService` (`runtime.craft`) and
`versions.PromptVersions` (`runtime.prompt_versions`).

- `events`: what the service answers (Caller, Delta, Done, Failed, PlannedShot, ShotPlan).
- `client`: the OpenAI SDK client per key (the simulator's base URL for the demo key).
- `access`: which key a call runs on (the hosting rules generation follows) and the rate limit.
- `usage`: chat tokens per visitor per UTC day, reserved before a call and capped.
- `prompts`: the system prompts (Seedance's guidance, the craft vocabulary) and the JSON schemas.
- `guard`: model output cleaned, capped and checked (tags, cast names, dialogue kept; no ratio; limits).
- `plan`: a shot plan parsed and validated by the board's own rules.
- `errors`: the SDK's errors as one line.
- `versions`: prompt versions per owner and subject.
- `diff`: the word diff the writer reviews (the page's).

Imports nothing here, so `seedance_ui.llm.diff` stays light for the page.
"""
