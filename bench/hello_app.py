"""The reference for cold start: a bare Gradio hello world, started like the studio (`python <file>`),
listening on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT."""

import gradio as gr


def greet(name: str) -> str:
    return f"Hello, {name}!"


demo = gr.Interface(greet, "text", "text")

if __name__ == "__main__":
    demo.launch()
