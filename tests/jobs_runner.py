"""A job manager in its own process, for the kill-and-restart test (tests/test_jobs_recovery.py).

    python tests/jobs_runner.py submit    # submit one job, then follow it
    python tests/jobs_runner.py recover   # only recover what is on disk, then follow it

Configured like the studio (EVOLINK_API_KEY, EVOLINK_BASE_URL, SEEDANCE_DATA_DIR, SEEDANCE_POLL_INTERVAL).
Prints one JSON line per change of the followed job and exits once it is terminal.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seedance_ui.client import GenerationRequest
from seedance_ui.config import load_settings
from seedance_ui.jobs import JobManager
from seedance_ui.options import MODEL_FAST
from seedance_ui.store import HistoryStore

OWNER = "runner"
PROMPT = "A paper boat drifts down a rainy street"


def emit(**data: object) -> None:
    print(json.dumps(data), flush=True)


async def follow(manager: JobManager, job_id: str) -> None:
    async for rec in manager.watch(job_id, OWNER):
        emit(job=rec.id, status=rec.status.value, progress=rec.progress, task_id=rec.task_id)


def main(mode: str) -> int:
    settings = load_settings(dotenv_path=None)
    store = HistoryStore(settings.data_dir)
    manager = JobManager(store, settings)
    manager.start()
    emit(event="started", mode=mode)
    if mode == "submit":
        request = GenerationRequest(prompt=PROMPT, model=MODEL_FAST, quality="480p", duration=4)
        job_ids = [manager.submit(request, OWNER).id]
    else:
        job_ids = [r.id for r in store.list(OWNER) if not r.terminal]
    for job_id in job_ids:
        asyncio.run(follow(manager, job_id))
    manager.stop()
    store.close()
    emit(event="done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "submit"))
