"""User-facing texts of the job manager (error messages, hints, cancel answers)."""

from __future__ import annotations

UNKNOWN_OUTCOME_MESSAGE = (
    "The request reached the provider but its answer was lost, so we cannot tell whether the video "
    "was created (and charged)."
)
RESTART_UNKNOWN_MESSAGE = (
    "The server stopped while this job was being submitted, so we cannot tell whether the provider "
    "received it (and charged for it)."
)
UNKNOWN_OUTCOME_HINT = (
    "Check your Evolink task list and credits before submitting again: it is never resubmitted "
    "automatically, and a resubmission may be charged twice."
)

EXPIRED_MESSAGE = (
    "The provider's link to this video expired (links last 24 hours) before it could be saved."
)
EXPIRED_HINT = "Generate the video again if you still need it."
UNREACHABLE_EXPIRED_MESSAGE = (
    "The provider could not be reached for 24 hours, so the video's link (if it was made) has expired."
)

NOT_FOUND_MESSAGE = "The provider no longer knows this task."
NOT_FOUND_HINT = (
    "It may have been deleted, or made with a different API key. Check your Evolink task list."
)

POLL_TROUBLE_HINT = "The provider cannot be reached right now; still trying (the job is kept)."

NO_REASON_MESSAGE = "The video generation failed without a reason from the provider."

KEY_GONE_HINT = (
    "The server restarted, and your API key is kept only in memory: enter your key again to resume "
    "tracking this job. It will not be resubmitted."
)
SERVER_KEY_CHANGED_HINT = (
    "This job was sent with the server's API key (or the demo key), and the server now runs with a "
    "different one, so it cannot be followed. Check your Evolink task list; it will not be resubmitted."
)
QUEUED_KEY_GONE_MESSAGE = (
    "The server restarted before this job was sent, and your API key is kept only in memory, so it "
    "was not sent. Nothing was charged."
)
QUEUED_KEY_GONE_HINT = "Submit it again."

NO_VIDEO_URL_MESSAGE = "The provider reported the video as finished but gave no link to it."
NO_VIDEO_URL_HINT = "Check your Evolink task list; the video may still be there."

DOWNLOAD_FAILED_MESSAGE = "The finished video could not be saved."
DOWNLOAD_FAILED_HINT = "The provider's link stays valid for 24 hours after the video is made."
PROBE_FAILED_HINT = "The video was saved, but its details could not be read."

CANCEL_NOT_FOUND = "No such job."
CANCEL_QUEUED = "Cancelled before it was sent to the provider: nothing was charged."
CANCEL_SUBMITTING = "This job is being sent to the provider right now; try cancelling again in a moment."
CANCEL_DONE = "Cancelled. Cancelled tasks are not charged."
CANCEL_REQUESTED = "Cancel requested; waiting for the provider to confirm."
CANCEL_TOO_LATE = "Too late to cancel: the provider no longer allows cancelling this task."
CANCEL_DOWNLOADING = "Too late to cancel: the video is finished and being saved."
CANCEL_NO_KEY = "Cannot cancel: your API key is no longer in memory. Enter it again first."
CANCEL_FAILED = "Could not cancel ({error}). The job is still being tracked."
CANCEL_STOPPED = "The job manager is not running."


def cancel_already_ended(status_label: str) -> str:
    return f"This job has already ended ({status_label})."

INPUT_MISSING_HINT = "Nothing was sent or charged. Generate again with the picture."


def input_missing(name: str | None) -> str:
    """The job's saved copy of an input image cannot be read (deleted from the data directory?)."""
    return f"The saved copy of the input {name or 'image'} is missing, so the job was not sent."
