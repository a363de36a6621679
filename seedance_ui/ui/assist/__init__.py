"""The model's help with prompts, shared by the Studio tab and the storyboard's shot editor: Enhance,
Translate and Variations reviewed as a word diff (`prompt_assist.PromptAssist`), and a prompt's versions
with Restore (`versions.VersionsPanel`). The backend is `seedance_ui/llm` (`runtime.craft`,
`runtime.prompt_versions`); none of this is placed when the features are off (SEEDANCE_LLM=0)."""
