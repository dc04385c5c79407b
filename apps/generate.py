"""Generate timetables: pick a scenario, a strategy, a time limit and constraint weights; start a job
and watch its progress, stage, ETA and cost curve live; cancel it; browse past jobs.

Scenarios of both kinds are listed: a class-based (ITC2019) scenario offers the class strategies
and is solved under the four weights of its own data (time, room, distribution, student), so the
curriculum's constraint weights, weight profiles and data checks are hidden for it, with a line
saying why; its job's variant opens in the same Timetables and Compare variants apps.

Jobs run in the process's job runner (Dask workers), never in the server: a per-session periodic
callback reads the watched job's new events from DuckDB (``GenerateState.poll``). Several users
can run jobs at once; each session watches the job it started or picked in the jobs table.
"""

from __future__ import annotations

import os
import sys
import urllib.parse

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the server runs this file once per session
    sys.path.insert(0, _HERE)

import holoviews as hv  # noqa: E402
import pandas as pd  # noqa: E402
import panel as pn  # noqa: E402
import param  # noqa: E402

from tt_core import constraints as K  # noqa: E402
from tt_core.profiles import default_weights, soft_constraints_by_dimension  # noqa: E402
from tt_core.solvers import CLASS_DEFAULT_STRATEGY, CLASS_STRATEGIES, DEFAULT_STRATEGY, STRATEGIES  # noqa: E402
from tt_core.store import FINAL  # noqa: E402

from ui import shared as S  # noqa: E402

RESUMABLE = ("failed", "cancelled", "interrupted")
POLL_MS = 500
JOBS_REFRESH_S = 3.0
_INFO = {c.name: c for c in K.CONSTRAINTS}


class Weights(param.Parameterized):
    """One weight per soft constraint (parameters are added below, named after the constraints)."""

    def values(self) -> dict[str, float]:
        return {n: float(getattr(self, n)) for n in default_weights()}

    def set_values(self, weights: dict[str, float]) -> None:
        self.param.update(**{n: float(w) for n, w in weights.items() if n in self.param})


for _name, _w in default_weights().items():
    Weights.param.add_parameter(_name, param.Number(
        _w, bounds=(0, None), softbounds=(0, 20), step=0.5, label=_name,
        doc=_INFO[_name].description))


class GenerateState(param.Parameterized):
    """Settings of a new job and the live state of the job this session watches."""

    scenario = param.Selector(objects=[], doc="scenario to solve")
    kind = param.Selector(objects=["curriculum", "classes"], default="curriculum",
                          doc="the scenario's kind: curriculum, or class-based (ITC2019 data)")
    class_weights = param.String("", doc="a class-based scenario's own weights, for people")
    strategy = param.Selector(objects=sorted(STRATEGIES), default=DEFAULT_STRATEGY)
    time_limit = param.Number(30.0, bounds=(1, 3600), step=1, label="Time limit (s)")
    seed = param.Integer(0, bounds=(0, None))
    job_name = param.String("", label="Job name (optional)")
    profile = param.Selector(objects=[""], default="", label="Weight profile")
    profile_name = param.String("", label="Save weights as")

    job_id = param.Integer(None, allow_None=True, doc="the job this session watches")
    watched_name = param.String("", doc="the name given to the watched job (empty: none)")
    status = param.String("")
    stage = param.String("")
    progress = param.Integer(0, bounds=(0, 100))
    eta = param.Number(None, allow_None=True)
    best_cost = param.Number(None, allow_None=True)
    hard = param.Integer(None, allow_None=True)
    job_message = param.String("")
    job_scenario = param.String("", doc="scenario of the watched job")
    variant_id = param.Integer(None, allow_None=True)
    trace = param.DataFrame(pd.DataFrame({"elapsed": [], "best_cost": []}), doc="best cost over time")
    jobs = param.DataFrame(pd.DataFrame(), doc="recent jobs of the scenario")
    runner = param.String("", doc="job runner status text (empty once it is ready)")
    runner_state = param.Selector(objects=["ready", "starting", "failed", "stopped"], default="stopped")
    runner_ready = param.Boolean(False)
    can_start = param.Boolean(False, doc="a job can be started: the runner is up, or starting (the job then "
                                         "waits in the queue and the runner starts it once up)")
    allowed = param.Boolean(True, doc="the user's role may start and cancel jobs (else the page is read-only)")
    check_summary = param.String("", doc="one line about the data checks of the scenario")
    findings = param.DataFrame(pd.DataFrame(), doc="what the data checks found (tt_core.checks)")
    loads = param.DataFrame(pd.DataFrame(), doc="lecture periods required vs available, tightest first")

    def __init__(self, studio, runner_status=None, **params):
        self.studio = studio
        self.messages = S.Messages()
        self.weights = Weights()
        self._runner_status = runner_status or S.runner_status
        self._after = 0
        self._last_jobs = 0.0
        super().__init__(**params)
        names = studio.data.scenarios()
        self.param.scenario.objects = names
        if names and self.scenario not in names:
            self.scenario = names[0]
        if not names:
            self.messages.error = S.NO_SCENARIO
        self.update_kind()
        self.refresh_profiles()
        self.refresh_jobs()
        self.check_runner()
        self.run_checks()

    # ------------------------------------------------------------------ settings
    @param.depends("scenario", watch=True)
    def _scenario_changed(self):
        self.update_kind()
        self.refresh_profiles()
        self.refresh_jobs()
        self.run_checks()

    @S.guarded
    def update_kind(self) -> None:
        """The scenario's kind, and the strategies that solve it (the kind's default unless the
        strategy picked solves it too)."""
        classes = bool(self.scenario) and self.studio.data.is_class_scenario(self.scenario)
        registry, default = (CLASS_STRATEGIES, CLASS_DEFAULT_STRATEGY) if classes else (STRATEGIES, DEFAULT_STRATEGY)
        self.param.strategy.objects = sorted(registry)
        weights = ""
        if classes:
            w = self.studio.data.class_problem(self.scenario).weight
            weights = ", ".join(f"{k} {v}" for k, v in w.items())
        self.param.update(kind="classes" if classes else "curriculum", class_weights=weights,
                          strategy=self.strategy if self.strategy in registry else default)

    def _curriculum_only(self, what: str) -> None:
        if self.kind == "classes":
            raise S.TimetableError(f"{what} are for curriculum scenarios; {self.scenario!r} is class-based (ITC2019) "
                                   f"and is solved under the weights of its own data ({self.class_weights})")

    @S.guarded
    def run_checks(self) -> None:
        """Count what makes the scenario's data impossible (or a cost unavoidable) before solving."""
        if not self.scenario:
            return
        if self.kind == "classes":  # the checks read curricula; a class problem was validated on import
            self.check_summary = ("the data checks are for curriculum scenarios; a class-based scenario's data was "
                                  "checked when it was imported (the Data app shows it)")
            self.findings, self.loads = pd.DataFrame(), pd.DataFrame()
            return
        found, loads = self.studio.data.check(self.scenario)
        errors = sum(f.severity == "error" for f in found)
        warnings = len(found) - errors
        if errors:
            self.check_summary = (f"{errors} error(s): no timetable can meet the hard constraints until the data "
                                  f"below is fixed (Data app); {warnings} warning(s)")
        else:
            self.check_summary = ("no error in the data" + (f"; {warnings} warning(s) (soft costs every timetable pays)"
                                                            if warnings else " and no warning"))
        self.findings = pd.DataFrame([{"severity": f.severity, "item": f.item, "name": f.name, "finding": f.text,
                                       "fix": f.fix} for f in found],
                                     columns=["severity", "item", "name", "finding", "fix"])
        self.loads = loads.head(15)

    @S.guarded
    def refresh_profiles(self) -> None:
        curriculum = self.scenario and self.kind == "curriculum"
        names = [""] + (self.studio.data.weight_profiles(self.scenario) if curriculum else [])
        self.param.profile.objects = names
        if self.profile not in names:
            self.profile = ""

    @S.guarded
    def load_profile(self) -> None:
        self._curriculum_only("weight profiles")
        if not self.profile:
            raise S.TimetableError("pick a saved weight profile first")
        self.weights.set_values(self.studio.data.load_weight_profile(self.scenario, self.profile))
        self.profile_name = self.profile
        self.messages.ok(f"weights of profile {self.profile!r} loaded")

    @S.guarded
    def save_profile(self) -> None:
        if not self.scenario:
            raise S.TimetableError("pick a scenario first")
        self._curriculum_only("weight profiles")
        name = self.profile_name.strip()
        self.studio.data.save_weight_profile(self.scenario, name, self.weights.values(), user=S.current_user())
        self.refresh_profiles()
        self.profile = name
        self.messages.ok(f"weight profile {name!r} saved")

    def reset_weights(self) -> None:
        self.weights.set_values(default_weights())
        self.messages.ok("weights reset to the ITC2007 defaults")

    # ------------------------------------------------------------------ jobs
    def check_runner(self) -> None:
        state, text = self._runner_status()
        self.param.update(runner_state=state, runner_ready=state == "ready", can_start=state in ("ready", "starting"),
                          runner="" if state == "ready" else text)

    @S.guarded
    def start(self) -> int | None:
        """Submit a job with the current settings and watch it (the Studio refuses a role that may
        not: the buttons are hidden from such roles, but a hidden button can still be clicked)."""
        if not self.scenario:
            raise S.TimetableError("pick a scenario first")
        # a class-based scenario is solved under its own weights (the sliders weigh curriculum constraints)
        weights = None if self.kind == "classes" else self.weights.values()
        job_id = self.studio.jobs.submit(self.scenario, strategy=self.strategy, time_limit=float(self.time_limit),
                                         seed=int(self.seed), weights=weights, name=self.job_name.strip() or None)
        self.watch(job_id)
        named = f" {self.watched_name!r}" if self.watched_name else ""
        self.messages.ok(f"job {job_id}{named} queued ({self.strategy}, {self.time_limit:g} s)")
        return job_id

    @S.guarded
    def cancel(self) -> None:
        if self.job_id is None:
            raise S.TimetableError("start a job or pick one in the jobs table first")
        outcome = self.studio.jobs.cancel(self.job_id)
        self.messages.ok(f"job {self.job_id}: {outcome}")
        self.poll()

    @S.guarded
    def resume(self) -> None:
        """Run a failed, cancelled or interrupted job again from its last checkpoint."""
        if self.job_id is None:
            raise S.TimetableError("pick a job in the jobs table first")
        job_id = self.job_id
        self.studio.jobs.retry(job_id)
        self.watch(job_id)
        self.messages.ok(f"job {job_id} queued again; it resumes from its last checkpoint")

    @S.guarded
    def watch(self, job_id: int | None) -> None:
        """Show the progress of another job (its whole history is read again)."""
        self._after = 0
        self.param.update(job_id=job_id, watched_name="", status="", stage="", progress=0, eta=None, best_cost=None,
                          hard=None, job_message="", job_scenario="", variant_id=None,
                          trace=pd.DataFrame({"elapsed": [], "best_cost": []}))
        if job_id is not None:
            self.poll()

    @S.guarded
    def refresh_jobs(self) -> None:
        import time

        self._last_jobs = time.monotonic()
        self.jobs = self.studio.jobs.frame(self.scenario) if self.scenario else pd.DataFrame()

    @S.guarded
    def poll(self) -> None:
        """Read the watched job's new events and status (the periodic callback calls this)."""
        import time

        self.check_runner()
        quiet = self.job_id is None or self.status in FINAL  # nothing live to follow
        if quiet and time.monotonic() - self._last_jobs < JOBS_REFRESH_S:
            return
        if self.job_id is None:
            self.refresh_jobs()
            return
        events = self.studio.jobs.events(self.job_id, after=self._after)
        job = self.studio.jobs.get(self.job_id)
        updates: dict = {}
        points = []
        for ev in events:
            self._after = max(self._after, int(ev["seq"]))
            if ev.get("fraction") is not None:
                updates["progress"] = int(round(100 * float(ev["fraction"])))
            if ev.get("stage"):
                updates["stage"] = ev["stage"]
            if ev.get("eta") is not None:
                updates["eta"] = float(ev["eta"])
            if ev.get("hard_violations") is not None and ev.get("kind") == "progress":
                updates["hard"] = int(ev["hard_violations"])
            if ev.get("best_cost") is not None:
                updates["best_cost"] = float(ev["best_cost"])
                points.append((float(ev["elapsed"] or 0.0), float(ev["best_cost"])))
        status = job["status"]
        if status == "succeeded":
            updates.update(progress=100, eta=0.0)
        elif status in FINAL:
            updates["eta"] = 0.0
        if points:
            new = pd.DataFrame(points, columns=["elapsed", "best_cost"])
            updates["trace"] = new if self.trace.empty else pd.concat([self.trace, new], ignore_index=True)
        changed = status != self.status
        updates.update(status=status, job_message=job.get("message") or "", variant_id=job.get("variant_id"),
                       job_scenario=job.get("scenario") or "", watched_name=job.get("name") or "")
        self.param.update(**updates)
        if changed or time.monotonic() - self._last_jobs > JOBS_REFRESH_S:
            self.refresh_jobs()
        if changed and status in FINAL:
            named = f" {self.watched_name!r}" if self.watched_name else ""
            text = f"job {self.job_id}{named} {status}: {self.job_message}"
            if status == "failed":
                self.messages.info, self.messages.error = "", text
            else:
                self.messages.ok(text)
            kind = "success" if status == "succeeded" else ("warning" if status == "cancelled" else "error")
            S.notify(text, kind)

    def summary(self) -> str:
        """One line about the watched job, e.g. ``Job 3 · running · 45 % · anneal · ETA 12 s``."""
        if self.job_id is None:
            return "No job watched: start one, or pick one in the table below."
        # the name is the user's text: shown escaped (S.safe_md), never as Markdown
        named = f" {S.safe_md(self.watched_name)}" if self.watched_name else ""
        bits = [f"**Job {self.job_id}**{named}", self.status or "…", f"{self.progress} %"]
        if self.stage:
            bits.append(f"stage {self.stage}")
        if self.eta is not None and self.status not in FINAL:
            bits.append(f"ETA {self.eta:.0f} s")
        if self.best_cost is not None:
            bits.append(f"best {'total' if self.kind == 'classes' else 'cost'} {self.best_cost:g}")
        if self.hard:
            bits.append(f"{self.hard} hard violation(s)")
        return " · ".join(bits)


# ============================================================================ view
def _cost_plot(state: GenerateState) -> pn.pane.HoloViews:
    pipe = hv.streams.Pipe(data=state.trace)

    def curve(data):
        # a class-based scenario's cost is the ITC2019 weighted total
        label = "best weighted total" if state.kind == "classes" else "best soft cost"
        return hv.Curve(data, "elapsed", "best_cost").opts(
            responsive=True, height=260, line_width=2, tools=["hover"], framewise=True,
            xlabel="seconds", ylabel=label, title="Cost over time")

    state.param.watch(lambda e: pipe.send(e.new), "trace")
    return pn.pane.HoloViews(hv.DynamicMap(curve, streams=[pipe]), sizing_mode="stretch_width", height=280,
                             css_classes=["tt-cost-plot"])


def _checks_card(state: GenerateState) -> pn.Card:
    """The pre-solve checks of the scenario: a summary line, the findings, the tightest loads."""
    summary = pn.pane.Markdown("", css_classes=["tt-check-summary"], sizing_mode="stretch_width")
    findings = pn.widgets.Tabulator(state.findings, disabled=True, show_index=False, sizing_mode="stretch_width",
                                    css_classes=["tt-checks"], layout="fit_data_stretch", pagination="local",
                                    page_size=10)
    loads = pn.widgets.Tabulator(state.loads, disabled=True, show_index=False, css_classes=["tt-loads"],
                                 layout="fit_data_table")
    again = pn.widgets.Button(name="Check again", width=110, css_classes=["tt-check-again"])
    again.on_click(lambda _: state.run_checks())

    def show(*_):
        summary.object = S.safe(state.check_summary)
        findings.value = state.findings
        findings.visible = not state.findings.empty
        loads.value = state.loads

    state.param.watch(show, ["check_summary", "findings", "loads"])
    show()
    tight = pn.Card(pn.pane.Markdown("Lecture periods each curriculum, teacher and room family needs against "
                                     "those its courses can be taught in, tightest first."), loads,
                    title="Required vs available", collapsed=True, sizing_mode="stretch_width")
    return pn.Card(pn.Row(summary, again, sizing_mode="stretch_width"), findings, tight, title="Data checks",
                   sizing_mode="stretch_width", css_classes=["tt-checks-card"])


def _weights_sidebar(state: GenerateState) -> list:
    """The weight profiles and one slider per soft constraint, or for a class-based scenario a line
    saying which weights its jobs use instead."""
    w = pn.widgets
    cards = []
    for dim, names in soft_constraints_by_dimension().items():
        sliders = []
        for n in names:
            slider = w.FloatSlider.from_param(state.weights.param[n], start=0, end=max(20.0, getattr(state.weights, n)),
                                              step=0.5, sizing_mode="stretch_width")
            # a loaded profile may weigh more than the slider's end: widen it rather than clip the weight
            state.weights.param.watch(lambda e, s=slider: setattr(s, "end", max(s.end, e.new)), n)
            sliders.append(slider)
        cards.append(pn.Card(*sliders, title=f"Weights: {dim}", sizing_mode="stretch_width"))
    load = w.Button(label="Load", width=80)
    load.on_click(lambda _: state.load_profile())
    save = w.Button(label="Save", width=80, css_classes=["tt-save-profile"], visible=state.allowed)
    save.on_click(lambda _: state.save_profile())
    reset = w.Button(label="Defaults", width=90)
    reset.on_click(lambda _: state.reset_weights())
    profiles = pn.Card(pn.Row(w.Select.from_param(state.param.profile, sizing_mode="stretch_width"), load),
                       pn.Row(w.TextInput.from_param(state.param.profile_name, sizing_mode="stretch_width"), save),
                       reset, title="Weight profiles", sizing_mode="stretch_width")
    note = pn.pane.Markdown("", css_classes=["tt-class-weights"], sizing_mode="stretch_width")

    def show(*_):
        classes = state.kind == "classes"
        for card in (profiles, *cards):
            card.visible = not classes
        note.visible = classes
        note.object = S.safe(f"{state.scenario} is a class-based (ITC2019) scenario: its jobs use the weights of "
                             f"its own data ({state.class_weights}); the constraint weights and weight profiles "
                             "below are for curriculum scenarios." if classes else "")

    state.param.watch(show, ["kind", "class_weights"])
    show()
    return [note, profiles, *cards]


def layout(state: GenerateState) -> pn.template.BaseTemplate:
    w = pn.widgets
    settings = pn.Param(state, parameters=["scenario", "strategy", "time_limit", "seed", "job_name"],
                        widgets={"time_limit": {"type": w.FloatInput, "start": 1, "end": 3600, "step": 1},
                                 "seed": {"type": w.IntInput, "start": 0}},
                        show_name=False, sizing_mode="stretch_width")
    start = w.Button(name="Start job", button_type="primary", css_classes=["tt-start"], sizing_mode="stretch_width")
    start.on_click(lambda _: state.start())
    # usable while the runner starts too: the job waits in the queue for it (JobService.submit)
    start.disabled = not (state.can_start and state.allowed)
    start.visible = state.allowed  # a viewer sees no start, cancel or save controls (the services refuse anyway)
    state.param.watch(lambda e: setattr(start, "disabled", not (state.can_start and state.allowed)),
                      ["can_start", "allowed"])

    runner = pn.pane.Alert(state.runner, alert_type="warning", visible=bool(state.runner), css_classes=["tt-runner"])

    def show_runner(*_):
        # starting is news, not a problem (Start works meanwhile); a runner that failed is
        starting = state.runner_state == "starting"
        runner.alert_type = "info" if starting else "warning"
        runner.object = state.runner + (" A job started now waits in the queue and runs as soon as the runner is "
                                        "up." if starting else "")
        runner.visible = bool(state.runner) and state.allowed

    state.param.watch(show_runner, ["runner", "runner_state", "allowed"])
    show_runner()

    progress = pn.indicators.Progress(value=state.progress, max=100, sizing_mode="stretch_width",
                                      css_classes=["tt-progress"], bar_color="primary")
    summary = pn.pane.Markdown(state.summary(), css_classes=["tt-job-summary"], sizing_mode="stretch_width")
    message = pn.pane.Markdown("", css_classes=["tt-job-message"], sizing_mode="stretch_width")

    def show_job(*_):
        progress.value = state.progress
        progress.bar_color = {"failed": "danger", "cancelled": "warning", "interrupted": "warning",
                              "succeeded": "success"}.get(state.status, "primary")
        summary.object = state.summary()
        text = state.job_message
        if state.variant_id is not None:
            scenario = urllib.parse.quote(state.job_scenario or state.scenario or "")
            text += (f" — [compare it](./variants?scenario={scenario}) or "
                     f"[open its timetable](./timetable?scenario={scenario}&variant={state.variant_id})")
        message.object = text

    state.param.watch(show_job, ["progress", "status", "stage", "eta", "best_cost", "hard", "job_id",
                                 "job_message", "variant_id"])
    show_job()
    cancel = w.Button(name="Cancel job", button_type="danger", css_classes=["tt-cancel"], width=120)
    cancel.on_click(lambda _: state.cancel())

    resume = w.Button(name="Resume job", button_type="primary", button_style="outline", css_classes=["tt-resume"],
                      width=120)
    resume.on_click(lambda _: state.resume())

    def cancellable(*_):
        watched = state.allowed and state.job_id is not None
        cancel.disabled = not (watched and state.status not in FINAL)
        cancel.visible = state.allowed
        resume.visible = watched and state.status in RESUMABLE

    state.param.watch(cancellable, ["job_id", "status", "allowed"])
    cancellable()

    jobs = w.Tabulator(state.jobs, disabled=True, selectable=1, show_index=False, pagination="local",
                       page_size=10, sizing_mode="stretch_width", css_classes=["tt-jobs"],
                       titles={"time_limit": "time limit (s)"})
    state.param.watch(lambda e: setattr(jobs, "value", e.new), "jobs")

    def pick(event):
        if event.new:
            row = jobs.value.iloc[event.new[0]]
            state.watch(int(row["id"]))

    jobs.param.watch(pick, "selection")
    refresh = w.Button(name="Refresh", width=90)
    refresh.on_click(lambda _: state.refresh_jobs())

    # a role that may not start jobs gets the same page without its controls, and a line saying so
    read_only = pn.pane.Markdown("You may follow the jobs and their results here; starting and cancelling jobs is "
                                 "for planners.", css_classes=["tt-read-only-note"], visible=not state.allowed)
    state.param.watch(lambda e: setattr(read_only, "visible", not e.new), "allowed")
    main = [
        S.message_alerts(state.messages), read_only, runner, _checks_card(state),
        pn.Row(summary, resume, cancel, sizing_mode="stretch_width"), progress, message,
        _cost_plot(state),
        pn.Row(pn.pane.Markdown("### Jobs"), refresh), jobs,
    ]
    sidebar = [settings, start, *_weights_sidebar(state)]
    return S.page("Generate", "generate", *main, sidebar=sidebar)


def app() -> pn.template.BaseTemplate:
    try:
        S.start_runner()
        # read-only (a viewer, a registrar, a read-only share link): the jobs and their progress
        # without the start, cancel and save controls; the services refuse a crafted request anyway
        state = GenerateState(S.studio(), allowed=S.can("run_jobs"))
    except Exception as exc:  # noqa: BLE001 - the database cannot be opened: say why
        return S.unavailable("Generate", "generate", exc)
    callback = pn.state.add_periodic_callback(state.poll, period=POLL_MS)
    pn.state.on_session_destroyed(lambda _ctx: callback.stop())
    return layout(state)


pn.extension("tabulator", notifications=True)
hv.extension("bokeh", logo=False)

if pn.state.served:
    app().servable()
