"""Durable generation jobs: persisted, detached from the browser, resumable, never charged twice."""

from seedance_ui.jobs.keys import DEMO_API_KEY
from seedance_ui.jobs.limits import Scheduler
from seedance_ui.jobs.manager import JobManager
from seedance_ui.jobs.webhooks import WEBHOOK_PREFIX, WEBHOOK_ROUTE, webhooks_enabled

__all__ = ["DEMO_API_KEY", "WEBHOOK_PREFIX", "WEBHOOK_ROUTE", "JobManager", "Scheduler", "webhooks_enabled"]
