"""Storyboards: plan a sequence of shots, price and generate them, pick takes, export for review.

No UI imports here; the storyboard tab calls these functions.
"""

from seedance_ui.storyboard.animatic import AnimaticResult, Segment, animatic_size, export_animatic
from seedance_ui.storyboard.bundle import build_manifest, export_zip
from seedance_ui.storyboard.clips import (
    Clip,
    JobInfo,
    JobInfoMap,
    VideoPathOf,
    board_clips,
    job_info_from_record,
    job_infos,
)
from seedance_ui.storyboard.contact import export_contact_sheet
from seedance_ui.storyboard.cost import BoardEstimate, ShotEstimate, board_estimate, shot_estimate
from seedance_ui.storyboard.csvio import COLUMNS, board_to_csv, import_csv, shots_from_csv
from seedance_ui.storyboard.history import OwnerJobs
from seedance_ui.storyboard.jsonio import (
    FORMAT,
    VERSION,
    board_from_dict,
    board_to_dict,
    dumps_board,
    import_board_json,
    loads_board,
)
from seedance_ui.storyboard.model import (
    Board,
    BoardFormatError,
    Shot,
    StoryboardError,
    Take,
    new_id,
    slugify,
)
from seedance_ui.storyboard.persist import BoardStore, owner_key
from seedance_ui.storyboard.plan import (
    PLAN_MODES,
    choose_take,
    delete_take,
    note_job_status,
    record_take,
    refresh_chosen,
    shot_state,
    shots_to_generate,
    submit_shots,
)
from seedance_ui.storyboard.validation import (
    ShotProblem,
    board_problems,
    compose_prompt,
    effective_request,
    shot_problems,
)

__all__ = [
    "COLUMNS",
    "FORMAT",
    "PLAN_MODES",
    "VERSION",
    "AnimaticResult",
    "Board",
    "BoardEstimate",
    "BoardFormatError",
    "BoardStore",
    "Clip",
    "JobInfo",
    "JobInfoMap",
    "OwnerJobs",
    "Segment",
    "Shot",
    "ShotEstimate",
    "ShotProblem",
    "StoryboardError",
    "Take",
    "VideoPathOf",
    "animatic_size",
    "board_clips",
    "board_estimate",
    "board_from_dict",
    "board_problems",
    "board_to_csv",
    "board_to_dict",
    "build_manifest",
    "choose_take",
    "compose_prompt",
    "delete_take",
    "dumps_board",
    "effective_request",
    "export_animatic",
    "export_contact_sheet",
    "export_zip",
    "import_board_json",
    "import_csv",
    "job_info_from_record",
    "job_infos",
    "loads_board",
    "new_id",
    "note_job_status",
    "owner_key",
    "record_take",
    "refresh_chosen",
    "shot_estimate",
    "shot_problems",
    "shot_state",
    "shots_from_csv",
    "shots_to_generate",
    "slugify",
    "submit_shots",
]
