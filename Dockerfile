# Seedance Studio: the same app that runs on Hugging Face Spaces, as a container. README.md, "Docker",
# has the build and run commands. No secret is baked in: the API key is passed at `docker run` time,
# and with none the studio runs in demo mode (the built-in simulator, placeholder clips, no charges).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    SEEDANCE_DATA_DIR=/data

# Fonts for the text Pillow draws, which the slim image lacks: DejaVu for the demo placeholder clips and
# Latin, Greek and Cyrillic on storyboard contact sheets (seedance_ui/media.py); WenQuanYi Micro Hei
# for Chinese, Japanese and Korean prompts on contact sheets, in 5 MB (fonts-noto-cjk would add about
# 90 MB for the same coverage). Spaces installs the same list from packages.txt. Unpinned on purpose:
# the fonts follow the base image's Debian release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

# The app runs as "studio" (uid and gid 1000), as on Spaces.
RUN groupadd --gid 1000 studio && useradd --create-home --uid 1000 --gid 1000 studio
WORKDIR /app

# Dependencies in their own layer: rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

# Only what the app needs to run (.dockerignore allows nothing else into the build context), owned by
# root: the app cannot change its own code; it writes only to /data (and /tmp).
COPY app.py ./
COPY seedance_ui ./seedance_ui
COPY assets ./assets

# History, videos, posters and boards: mount a volume here to keep them across containers.
RUN mkdir -p /data && chown 1000:1000 /data
VOLUME ["/data"]
USER 1000:1000
EXPOSE 7860

# /healthz answers 200 while the job manager runs (503 when it has stopped).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GRADIO_SERVER_PORT', '7860'), timeout=4)"]

# SIGTERM (docker stop) shuts down gracefully in a few seconds: unfinished jobs stay on disk as they
# stand and resume, without a second create, on the next start.
CMD ["python", "app.py"]
