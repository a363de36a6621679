# Seedance Studio: the same app that runs on Hugging Face Spaces, as a container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    SEEDANCE_DATA_DIR=/data

RUN useradd --create-home --uid 1000 studio
WORKDIR /app

# Dependencies in their own layer: rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=studio:studio app.py ./
COPY --chown=studio:studio seedance_ui ./seedance_ui
COPY --chown=studio:studio assets ./assets

RUN mkdir -p /data && chown studio:studio /data
VOLUME ["/data"]
USER studio
EXPOSE 7860

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GRADIO_SERVER_PORT', '7860'), timeout=4)"

CMD ["python", "app.py"]
