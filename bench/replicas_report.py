"""The replicas section of BENCHMARKS.md (#22): rows, method, detail and notes from the measured numbers
(no I/O here: the smoke test feeds made-up ones)."""

from __future__ import annotations

import math

from bench import board_edits, capacity, pgcluster
from bench.board_edits import EditsResult
from bench.common import Row, Section, fmt_ms, fmt_s, median, percentile, verdict
from bench.replicas import LoadRun, Plan, ReplicasResult
from bench.takeover import POLL_SECONDS, A, B, FollowResult
from seedance_ui.jobs.leases import RENEW_FRACTION

TAKEOVER_TARGET = 30.0  # issue #22: a killed replica's jobs are followed again within this
CLAIM_RATIO_TARGET = 3.0  # a board change with the replicas' claim, against one without it (medians)
KIND_NAMES = (*(kind for kind, _ in pgcluster.KINDS), pgcluster.OTHER)


def judged(r: ReplicasResult, p99_target: float) -> Section:
    """`p99_target`: the capacity section's cheap-event target, which each deployment shape must hold."""
    sec = Section("Replicas")
    _load_rows(sec, r.loads, p99_target)
    _takeover_rows(sec, r.follow)
    _round_trip_rows(sec, r.follow)
    _edit_rows(sec, r.edits)
    f = r.follow
    sec.detail = "\n\n".join([_load_detail(r.loads), _takeover_detail(f), _round_trip_detail(f)])
    sec.data.update(p99={run.replicas: run.result.p("running", 99) for run in r.loads},
                    held=[t.held for t in f.trials], first_done=[t.first_done for t in f.trials])
    return sec


def _label(n: int) -> str:
    return f"{n} replica{'s' if n > 1 else ''}"


def _load_rows(sec: Section, loads: list[LoadRun], target: float) -> None:
    for run in loads:
        r = run.result
        p99 = r.p("running", 99)
        sec.rows.append(Row(
            f"Cheap UI event p99 while {r.jobs} jobs run, {r.owners} pages, PostgreSQL, "
            f"{_label(run.replicas)}",
            f"< {fmt_ms(target)}", f"{fmt_ms(p99)} (p50 {fmt_ms(r.p('running', 50))}, idle p99 "
            f"{fmt_ms(r.p('idle', 99))})", verdict(p99 < target)))
        if not p99 < target:
            sec.notes.append(f"On {_label(run.replicas)}, the cheap-event p99 while the jobs ran was "
                             f"{fmt_ms(p99)} "
                             f"(the studio used {r.studio_cores:.2f} cores, the bench's helpers "
                             f"{r.bench_cores:.2f}, other processes {r.other_cores:.2f}).")
    if len(loads) == 2:
        one, two = (run.result.p("running", 99) for run in loads)
        sec.rows.append(Row("Cheap UI event p99, 2 replicas / 1 replica", "(no target)",
                            f"{two / one:.2f}x ({fmt_ms(two)} / {fmt_ms(one)})", "INFO"))
    complete = all(run.result.completed == run.result.jobs == run.result.with_poster for run in loads)
    sec.rows.append(Row("Every job completes with its poster (1 and 2 replicas)",
                        " and ".join(f"{run.result.jobs} / {run.result.jobs}" for run in loads),
                        " and ".join(f"{run.result.completed} ({run.result.with_poster} with poster)"
                                     for run in loads), verdict(complete)))
    if not complete:
        sec.notes.append("Not every job completed: " + "; ".join(
            f"{_label(run.replicas)} {run.result.statuses}" for run in loads) + ".")


def _takeover_rows(sec: Section, f: FollowResult) -> None:
    held = [t.held for t in f.trials]
    first = [t.first_done for t in f.trials]
    worst = math.nan if not held or any(map(math.isnan, held)) else max(held)  # NaN: never took all over
    ok = worst < TAKEOVER_TARGET
    sec.rows.append(Row(f"SIGKILL -> the other replica holds all {f.follow} leases (median / max of "
                        f"{len(held)})", f"< {TAKEOVER_TARGET:g} s",
                        f"{fmt_s(median(held), 1)} / {fmt_s(worst, 1)}", verdict(ok)))
    sec.rows.append(Row(f"SIGKILL -> the first of the {f.follow} jobs completed (median / max)",
                        "(no target)",
                        f"{fmt_s(median(first), 1)} / {fmt_s(max(first, default=math.nan), 1)} (each job "
                        f"renders {f.render:g} s)", "INFO"))
    total = sum(t.jobs for t in f.trials)
    completed, creates = sum(t.completed for t in f.trials), sum(t.creates for t in f.trials)
    whole = completed == total == creates
    sec.rows.append(Row("Jobs taken over complete, one create each", f"{total} / {total}, {total} creates",
                        f"{completed} / {total}, {creates} creates", verdict(whole)))
    if not ok:
        sec.notes.append(f"After a SIGKILL the other replica held all {f.follow} leases only after "
                         + ", ".join(fmt_s(s, 1) for s in held)
                         + f" (lease {f.lease_seconds:g} s, scan every {f.scan_seconds:g} s).")
    if not whole:
        sec.notes.append(f"Of {total} jobs taken over, {completed} completed; the provider saw {creates} "
                         "creates.")


def _round_trip_rows(sec: Section, f: FollowResult) -> None:
    for w in f.windows:
        parts = []
        for replica in (A, B):
            kinds = ", ".join(f"{kind} {w.per_second(replica, kind):.2f}" for kind in KIND_NAMES)
            parts.append(f"{replica[-1].upper()} {w.per_second(replica):.2f} ({kinds})")
        sec.rows.append(Row(f"Database round trips per replica per second, {w.label}", "(no target)",
                            "; ".join(parts), "INFO"))


def _edit_rows(sec: Section, e: EditsResult) -> None:
    ok = e.ratio < CLAIM_RATIO_TARGET
    seconds = (e.p50(True), e.p50(False), percentile(e.claimed, 99))
    with_it, without, p99 = (f"{v * 1000:.1f} ms" for v in seconds)
    sec.rows.append(Row(f"A board change on PostgreSQL (read, edit, save) with the replicas' claim / without "
                        f"it, median of {e.changes} each", f"< {CLAIM_RATIO_TARGET:g}x",
                        f"{e.ratio:.2f}x ({with_it} / {without}; p99 with it {p99})", verdict(ok)))
    if not ok:
        sec.notes.append(f"The replicas' claim made a board change {e.ratio:.2f}x as long as one without it.")


def _load_detail(loads: list[LoadRun]) -> str:
    lines = ["| Run | Window | Samples | p50 | p99 | max |", "|---|---|---|---|---|---|"]
    for run in loads:
        lines += _window_lines(run.result, _label(run.replicas))
    lines += ["", "| Run | Submit | Whole load | Peak in flight | Completed | Peak RSS per replica | "
              "GET/task | CPU: replicas / bench helpers / other processes (cores) |",
              "|---|---|---|---|---|---|---|---|"]
    for run in loads:
        r = run.result
        lines.append(f"| {_label(run.replicas)} | {r.submit_seconds:.1f} s | {r.load_seconds:.1f} s | "
                     f"{max(r.max_in_flight_app, r.max_in_flight_sim)} | {r.completed} | "
                     f"{', '.join(f'{k / 1024:.0f} MB' for k in run.rss_peak_kib)} | {r.gets_per_task:.1f} | "
                     f"{r.studio_cores:.2f} / {r.bench_cores:.2f} / {r.other_cores:.2f} |")
    return "\n".join(lines)


def _window_lines(r: capacity.CapacityResult, label: str) -> list[str]:
    out = []
    for name, values in (("idle, before any job", r.idle), ("submitting", r.submitting),
                         ("while the jobs run (all submitted -> last saved)", r.running)):
        if values:
            out.append(f"| {label} | {name} | {len(values)} | {fmt_ms(percentile(values, 50))} | "
                       f"{fmt_ms(percentile(values, 99))} | {fmt_ms(max(values))} |")
    return out


def _takeover_detail(f: FollowResult) -> str:
    lines = ["| Trial | Jobs | All leases held by B | First completed | All ended | Completed | Creates |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {i + 1} | {t.jobs} | {fmt_s(t.held, 1)} | {fmt_s(t.first_done, 1)} | "
              f"{fmt_s(t.all_done, 1)} | {t.completed} | {t.creates} |" for i, t in enumerate(f.trials)]
    return "\n".join(lines)


def _round_trip_detail(f: FollowResult) -> str:
    lines = ["Statements each replica sent the database (the server's statement log, by application_name), "
             "per second:", "", f"| Window | Replica | All | {' | '.join(KIND_NAMES)} |",
             "|---|---|---|" + "---|" * len(KIND_NAMES)]
    for w in f.windows:
        for replica in (A, B):
            lines.append(f"| {w.label} ({w.seconds:g} s) | {replica} | {w.per_second(replica):.2f} | "
                         + " | ".join(f"{w.per_second(replica, kind):.2f}" for kind in KIND_NAMES) + " |")
    every = _intervals(f)
    lines += ["", "Per tick (the window's statements of that kind over its ticks, one every "
              + ", ".join(f"{seconds:g} s for the {kind}" for kind, seconds in every.items()) + "): "
              + "; ".join(f"{w.label}, {replica}: " + ", ".join(
                  f"{kind} {w.per_second(replica, kind) * seconds:.2f}" for kind, seconds in every.items())
                  for w in f.windows for replica in (A, B)) + "."]
    return "\n".join(lines)


def _intervals(f: FollowResult) -> dict[str, float]:
    """Seconds between a replica's ticks of each kind (seedance_ui/jobs/leases.py, the settings' defaults)."""
    kinds = [kind for kind, _ in pgcluster.KINDS]
    return dict(zip(kinds, (f.poll_seconds, f.lease_seconds * RENEW_FRACTION, f.scan_seconds), strict=True))


def method(plan: Plan, f: FollowResult | None = None) -> str:
    lease = "" if f is None else (
        f" (SEEDANCE_LEASE_SECONDS {f.lease_seconds:g}, SEEDANCE_LEASE_SCAN_SECONDS {f.scan_seconds:g}, "
        f"SEEDANCE_CHANGE_POLL_SECONDS {f.poll_seconds:g})")
    per_owner = -(-plan.jobs // plan.owners)
    return (
        "One throwaway PostgreSQL (Debian's server, started as tests/pg_server.py starts it: a temporary "
        "cluster on loopback), a fresh database per run; each replica is `python app.py` with "
        "SEEDANCE_DATABASE_URL on it, and the replicas of a run share that database, one data directory "
        "and one simulator. Load: the capacity section's, on PostgreSQL: the simulator at "
        f"x{plan.speed:g} (tasks advertised {plan.estimate} s), {plan.jobs} jobs submitted by {plan.owners} "
        f"owners' pages ({per_owner} Generate clicks each), every page then running its watcher and the "
        "change events it fires until the last job is saved, and the cost-estimate probe (bench/probe.py, "
        f"{plan.probe_visitors} visitors, one event a second each, missed ticks counted). On 1 replica "
        "everything goes to it; on 2, owner i and its page go to replica i mod 2 (as a proxy with sticky "
        "sessions sends them) and the probe's visitors are split over both (one probe process each, "
        "samples merged). The p99 is over the time the jobs run (all submitted -> the last saved). "
        f"Takeover: replica B runs throughout; in each of {plan.trials} trials a fresh replica A gets "
        f"{plan.follow} Generate clicks from one page (A takes each job's lease as it makes it), the "
        f"simulator renders each for {plan.render:g} real seconds; once all are rendering under A's lease, "
        "A is SIGKILLed (the process alone: no lease given back) and the bench reads the database every "
        f"{POLL_SECONDS * 1000:.0f} ms: the time from the signal until every one of the jobs has a live "
        "lease held by B, and "
        f"until the first of them is completed, with the lease settings' defaults{lease}. Round trips: "
        "the takeover database has PostgreSQL's statement log on (log_statement = all, each line "
        "prefixed with the client's application_name, which each replica sets through PGAPPNAME): the "
        "statements each replica sent (BEGIN and COMMIT included: each is a round trip) are counted in "
        f"two {plan.window:g} s windows of the first trial, both replicas idle, then A following the "
        f"{plan.follow} jobs, and sorted by kind: the change poll (which jobs changed since), the lease "
        "renewal (one UPDATE for all of a replica's leases), the lease scan (free jobs claimed with FOR "
        "UPDATE SKIP LOCKED) and the rest (the jobs' own work: provider polls' writes and reads). Board "
        "changes (bench/board_edits.py): one BoardSession on its own database changes one "
        f"{board_edits.SHOTS}-shot board as the page's save does (the session's lock, read, change a "
        f"shot's prompt, save), {plan.board_changes} times with the replicas' claim and as many without "
        f"it, in alternating rounds of {board_edits.ROUND}; the ratio of the medians is what the claim "
        "costs a change.")
