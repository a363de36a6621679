"""The reviewer's page of a shared storyboard: what someone with the link sees, with no account.

Not a Gradio page: a light HTML shell (`page`), a vanilla script and stylesheet, and a small JSON API
(`api`) over `runtime.reviews`, added to the studio's app by `ui.server.extra_routes` (`routes`). The link is
`<site>/review/#<token>` (REVIEW_PATH + "#" + token; see `routes.review_url`): the token stays in the URL
fragment, so it reaches no server log and no Referer.

Routes (all under /review/):
    GET  /review/                                 the page shell
    GET  /review/assets/{review.js|review.css|logo.svg}
    POST /review/api/open     X-Review-Token, {"passphrase"?}  -> {ticket, version, view, ...}
    GET  /review/api/poll?since=<version>   X-Review-Ticket    -> {alive, version[, view]}
    POST /review/api/note     {shot_id, take_job_id, seconds, reviewer, text}
    POST /review/api/reply    {parent_id, reviewer, text}
    POST /review/api/status   {shot_id, take_job_id, reviewer, status: approved|changes_requested}
    GET  /review/media/{media ticket}/{job id}/{video|poster}   (Range requests; no-store)
"""
