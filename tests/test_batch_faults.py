"""The batch under faults: a lost local worker, lost dask workers, interrupts, a kernel that
dies mid-cell, a report past its timeout, an unreachable scheduler, a folder already in use.

Every test runs tiny notebooks written here (not the real reports) and checks, besides what
happened to each report: the exit code, a run log (run.json and the index) that tells the
truth, no process left behind (every process the test started carries a marker in its
environment, so an orphan adopted by init is found too), no stray folder (staging, worker and
job folders) and no half-written report. Each is bounded in time by the batch's own timeouts
and the ``timeout=`` of every wait here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest

from evidence.errors import BatchError
from evidence.reporting import batch
from evidence.reporting.processes import OwnedFolder, die_with_parent, sweep_orphaned_folders
from evidence.reporting.publish import RunFolder
from tests.test_batch import (  # the tiny-batch helpers: one kernel spec, one config writer
    KERNEL,
    _config,
)

MARKER = "EVIDENCE_FAULT_TEST"

#: A report that writes its results, and, while the file ``hold/hold`` exists, waits
#: ``hold_seconds`` (only the first ``hold_times`` times it runs, if that is above 0). Each
#: run leaves ``hold/<name>-<kernel pid>.started`` first, so the test knows which kernel runs it.
HOLDING_REPORT = """\
import json, os, pathlib, time
folder = pathlib.Path(hold)
started = len(list(folder.glob(f"{name}-*.started")))
(folder / f"{name}-{os.getpid()}.started").write_text(str(os.getpid()))
if (folder / "hold").exists() and (hold_times == 0 or started < hold_times):
    time.sleep(hold_seconds)
if results_path:
    pathlib.Path(results_path).write_text(json.dumps({"name": name, "value": value}))
print(f"report {name} value {value}")
"""


def _notebook(path: Path, body: str = HOLDING_REPORT) -> Path:
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Fault report\n\n## Result"),
            nbformat.v4.new_code_cell(
                'name: str = ""  # the report\'s name\nvalue: int = 0  # a number it writes\n'
                'hold: str = ""  # folder of the hold file and start markers\n'
                "hold_seconds: float = 60.0  # how long to wait while held\n"
                "hold_times: int = 0  # hold only the first N runs (0: every run)\n"
                'results_path: str = ""  # set by the batch',
                metadata={"tags": ["parameters"]},
            ),
            nbformat.v4.new_code_cell(body),
        ],
        metadata={"kernelspec": KERNEL},
    )
    nbformat.write(notebook, path)
    return path


def _reports(
    notebook: Path, hold: Path, names: list[str], held: tuple[str, ...] | None = None, **parameters
) -> list[dict]:
    """The config entries of reports ``names``; those in ``held`` (default: all) wait while
    ``hold/hold`` exists, the others (their markers in ``hold/free``) never do."""
    free = hold / "free"
    free.mkdir(exist_ok=True)
    return [
        {
            "name": name,
            "notebook": str(notebook),
            "parameters": {
                "name": name,
                "value": number,
                **parameters,
                "hold": str(hold if held is None or name in held else free),
            },
        }
        for number, name in enumerate(names)
    ]


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"waited {timeout} s for {what}")


def _started(hold: Path, name: str) -> list[int]:
    """The kernels that have started report ``name``, in the order they started."""
    markers = sorted(hold.glob(f"{name}-*.started"), key=lambda p: p.stat().st_mtime_ns)
    return [int(p.read_text()) for p in markers if p.read_text()]


def _kernel_starting(hold: Path, name: str, known: int = 0) -> int:
    """The kernel of the ``known + 1``-th run of report ``name``, once it has started."""
    return _wait_for(lambda: _started(hold, name)[known:], 120, f"{name} to start")[0]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Fault:
    """One test's sandbox: its own temporary folder (inherited by every process it starts), a
    marker in their environment, and the checks every fault test ends with."""

    def __init__(self, tmp_path: Path, monkeypatch) -> None:
        self.folder = tmp_path
        # short, as a worker's kernel sockets are in its folder there (see kernels.SOCKET_PATH_LIMIT)
        self.temp = Path(tempfile.mkdtemp(prefix="evf-", dir="/tmp" if os.path.isdir("/tmp") else None))
        self.hold = tmp_path / "hold"
        self.hold.mkdir()
        self.out = tmp_path / "reports"
        self.notebook = _notebook(tmp_path / "fault.ipynb")
        self.marker = uuid.uuid4().hex
        monkeypatch.setenv("TMPDIR", str(self.temp))
        monkeypatch.setattr(tempfile, "tempdir", str(self.temp))
        monkeypatch.setenv(MARKER, self.marker)

    def processes_left(self) -> list[psutil.Process]:
        left = []
        for process in psutil.process_iter():
            if process.pid == os.getpid():
                continue
            try:
                if "multiprocessing.resource_tracker" in " ".join(process.cmdline()):
                    continue  # this test process's own (dask's LocalCluster starts it), not a job's
                if process.environ().get(MARKER) == self.marker and process.status() != psutil.STATUS_ZOMBIE:
                    left.append(process)
            except psutil.Error:
                continue
        return left

    def assert_clean(self, wait: float = 10.0) -> None:
        """No process, no staging or scratch folder is left; every published report is whole
        (its HTML, notebook and results are of one run: the results name the report)."""
        deadline = time.monotonic() + wait
        while self.processes_left() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not self.processes_left(), [p.cmdline() for p in self.processes_left()]
        assert not (self.out / ".staging").exists()
        stray = [p.name for p in self.temp.iterdir() if p.name != "dask-scratch-space"]  # that one is dask's
        assert not stray, f"stray files in the temporary folder: {stray}"
        assert not list(self.out.rglob(".*.tmp*")), "a half-written file"
        log = self.log()
        for job in log["jobs"]:
            html, results = self.out / f"{job['name']}.html", self.out / f"{job['name']}.json"
            if job["report"] == "none":
                assert not html.exists() and not results.exists(), job
            else:
                assert job["html"] == html.name and html.is_file(), job
                assert json.loads(results.read_text())["name"] == job["name"]
                assert (self.out / "notebooks" / f"{job['name']}.ipynb").is_file()

    def log(self) -> dict:
        return json.loads((self.out / "run.json").read_text())

    def snapshot(self, name: str) -> dict[str, bytes]:
        return {p: (self.out / p).read_bytes() for p in (f"{name}.html", f"{name}.json", f"notebooks/{name}.ipynb")}


@pytest.fixture()
def fault(tmp_path, monkeypatch):
    sandbox = Fault(tmp_path, monkeypatch)
    yield sandbox
    shutil.rmtree(sandbox.temp, ignore_errors=True)


@pytest.mark.slow
def test_a_local_worker_killed_mid_report_is_run_again_then_failed_explicitly(fault):
    """A worker killed while its report runs: its kernel dies with it, the report runs again
    on a new worker and succeeds, both attempts recorded. Allowed no re-run, the report fails
    saying its worker was lost, and its earlier report is removed."""
    (fault.hold / "hold").touch()
    config = _config(
        fault.folder, _reports(fault.notebook, fault.hold, ["held", "quick"], held=("held",), hold_times=1)
    )
    killed: dict[str, int] = {}

    def kill_the_worker_running(name: str) -> None:
        kernel = _kernel_starting(fault.hold, name, known=len(_started(fault.hold, name)))
        worker = psutil.Process(kernel).parent()
        killed.update(kernel=kernel, worker=worker.pid)
        worker.kill()

    killer = threading.Thread(target=kill_the_worker_running, args=("held",))
    killer.start()
    outcome = batch.run_batch(config, fault.out, show_progress=False, workers=2)
    killer.join(timeout=10)
    assert outcome.exit_code == 0, [r.error for r in outcome.results]
    held = outcome.results[0]
    assert held.status == "succeeded" and held.attempts == 2
    assert [t["outcome"] for t in held.tries] == ["lost: its worker died", "succeeded"]
    assert f"(pid {killed['worker']})" in held.tries[0]["where"]
    assert held.tries[1]["where"] != held.tries[0]["where"]
    assert not _alive(killed["kernel"]), "the killed worker's kernel outlived it"
    log = fault.log()
    assert log["state"] == "finished" and log["workers"] == 2 and not log["interrupted"]
    assert [(j["status"], j["report"]) for j in log["jobs"]] == [("succeeded", "current")] * 2
    assert log["jobs"][0]["tries"] == held.tries
    fault.assert_clean()

    killer = threading.Thread(target=kill_the_worker_running, args=("held",))
    config = _config(
        fault.folder, _reports(fault.notebook, fault.hold, ["held", "quick"], held=("held",), hold_times=3)
    )  # runs 1 and 2 were phase one
    killer.start()
    outcome = batch.run_batch(config, fault.out, show_progress=False, workers=2, lost_worker_retries=0)
    killer.join(timeout=10)
    assert outcome.exit_code == 1
    held = outcome.results[0]
    assert held.status == "failed" and held.attempts == 1
    assert "its worker was lost (killed by SIGKILL) without a result" in held.error
    assert not (fault.out / "held.html").exists() and not (fault.out / ".state" / "held.json").exists()
    assert [(j["status"], j["report"]) for j in fault.log()["jobs"]] == [("failed", "none"), ("succeeded", "current")]
    fault.assert_clean()


def _dask_worker_running(kernel: int) -> psutil.Process:
    """The dask worker process above a kernel (kernel -> job process -> dask worker)."""
    return psutil.Process(kernel).parent().parent()


@pytest.mark.slow
def test_dask_workers_killed_one_then_all(fault):
    """On a LocalCluster of worker processes: a worker killed mid-report costs that report
    one attempt (dask runs it again; both are recorded, with where they ran); with every
    worker killed the batch waits ``worker_wait`` and fails what is left, saying why; no job
    process, kernel or job folder outlives its worker."""
    from dask.distributed import LocalCluster

    (fault.hold / "hold").touch()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        config = _config(
            fault.folder, _reports(fault.notebook, fault.hold, ["held", "a", "b"], held=("held",), hold_times=1)
        )
        killed: dict[str, int] = {}

        def kill_one() -> None:
            kernel = _kernel_starting(fault.hold, "held")
            worker = _dask_worker_running(kernel)
            killed.update(kernel=kernel, worker=worker.pid)
            worker.kill()

        killer = threading.Thread(target=kill_one)
        killer.start()
        outcome = batch.run_batch(
            config, fault.out, show_progress=False, scheduler=cluster.scheduler_address, worker_wait=5
        )
        killer.join(timeout=10)
        assert outcome.exit_code == 0, [r.error for r in outcome.results]
        held = outcome.results[0]
        assert held.attempts == 2 and [t["outcome"] for t in held.tries] == ["lost: its worker died", "succeeded"]
        assert all(t["where"].startswith("dask worker ") for t in held.tries)
        assert not _alive(killed["kernel"])
        log = fault.log()
        assert log["workers"] == 2 and log["scheduler"] == cluster.scheduler_address
        assert [(j["status"], j["report"]) for j in log["jobs"]] == [("succeeded", "current")] * 3

        config = _config(fault.folder, _reports(fault.notebook, fault.hold, ["held", "a", "b"], hold_times=0))
        kernels: list[int] = []

        def kill_all() -> None:
            kernels.append(_kernel_starting(fault.hold, "held", known=2))  # run 1 started it twice
            _wait_for(lambda: _started(fault.hold, "a") or _started(fault.hold, "b"), 120, "a second job")
            kernels.extend(_started(fault.hold, "a") + _started(fault.hold, "b"))
            for nanny in cluster.workers.values():
                nanny.close_gracefully()  # no restart: the cluster is left with no worker
            for nanny in cluster.workers.values():
                psutil.Process(nanny.process.pid).kill()

        killer = threading.Thread(target=kill_all)
        killer.start()
        start = time.monotonic()
        outcome = batch.run_batch(
            config, fault.out, show_progress=False, scheduler=cluster.scheduler_address, worker_wait=3
        )
        killer.join(timeout=10)
        assert time.monotonic() - start < 90
        assert outcome.exit_code == 1
        failed = outcome.results
        assert [r.status for r in outcome.results] == ["failed"] * 3
        assert all("no dask worker was alive for 3 s" in r.error for r in failed), [r.error for r in failed]
        assert failed[0].tries and all(t["outcome"] == "lost: its worker died" for r in failed for t in r.tries)
        assert all(r.attempts == len(r.tries) for r in failed)
        assert not any(_alive(k) for k in kernels)
        # not run to the end: the report made before is kept, marked stale
        assert [(j["status"], j["report"]) for j in fault.log()["jobs"]] == [("failed", "stale")] * 3
    fault.assert_clean()


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_batch_stops_at_once_and_says_so(fault, signum, code):
    """``evidence run`` sent SIGINT (Ctrl-C) or SIGTERM mid-run exits within seconds with 130
    or 143 and no traceback, kills every worker and kernel, publishes nothing half-made, and
    its index says the run was interrupted: the reports it was making are ``interrupted`` and
    the one not started ``not-run``, both still showing the earlier run's report as stale."""
    names = ["r0", "r1", "r2"]
    config = _config(fault.folder, _reports(fault.notebook, fault.hold, names))
    first = batch.run_batch(config, fault.out, show_progress=False, workers=2)
    assert first.exit_code == 0
    earlier = {name: fault.snapshot(name) for name in names}
    made = {j["name"]: j["report_made_utc"] for j in fault.log()["jobs"]}

    (fault.hold / "hold").touch()
    command = [
        sys.executable,
        "-m",
        "evidence.cli",
        "run",
        str(config),
        "--out",
        str(fault.out),
        "--workers",
        "2",
        "--force",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: len([n for n in names if _started(fault.hold, n)[1:]]) == 2, 120, "two reports to start")
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= 4  # two workers, each with a kernel
        process.send_signal(signum)
        sent = time.monotonic()
        stdout, stderr = process.communicate(timeout=30)
        stopped_in = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code, stderr
    assert stopped_in < 10
    assert "Traceback" not in stderr and f"interrupted ({signal.Signals(signum).name})" in stderr
    assert not [c for c in children if _alive(c.pid)]
    log = fault.log()
    assert log["state"] == "interrupted" and log["interrupted"] and log["signal"] == signal.Signals(signum).name
    statuses = sorted(j["status"] for j in log["jobs"])
    assert statuses == ["interrupted", "interrupted", "not-run"]
    for job in log["jobs"]:
        assert job["report"] == "stale" and job["report_made_utc"] == made[job["name"]]
        assert job["html"] == f"{job['name']}.html"
        assert fault.snapshot(job["name"]) == earlier[job["name"]]  # nothing of the cut-short run
        assert job["attempts"] == (1 if job["status"] == "interrupted" else 0)
    index = (fault.out / "index.html").read_text()
    assert "This run was interrupted" in index and "stale" in index
    fault.assert_clean()


@pytest.mark.slow
def test_a_kernel_that_dies_mid_cell_fails_that_report_only(fault):
    dying = _notebook(fault.folder / "dying.ipynb", "import os\nos._exit(3)")
    config = _config(
        fault.folder,
        [
            {"name": "dies", "notebook": str(dying), "parameters": {"name": "dies"}},
            *_reports(fault.notebook, fault.hold, ["fine"]),
        ],
    )
    outcome = batch.run_batch(config, fault.out, show_progress=False, workers=1)
    assert outcome.exit_code == 1
    dies, fine = outcome.results
    assert dies.status == "failed" and dies.attempts == 1
    assert "cell 3:\nimport os\nos._exit(3)\nthe kernel died while this cell ran" in dies.error
    assert fine.status == "succeeded"
    assert [(j["status"], j["report"]) for j in fault.log()["jobs"]] == [("failed", "none"), ("succeeded", "current")]
    fault.assert_clean()


@pytest.mark.slow
def test_a_report_past_its_timeout_is_stopped_with_its_kernel(fault):
    (fault.hold / "hold").touch()
    config = _config(fault.folder, _reports(fault.notebook, fault.hold, ["slow"], hold_seconds=300.0))
    outcome = batch.run_batch(config, fault.out, show_progress=False, workers=1, timeout=8)
    assert outcome.exit_code == 1
    (slow,) = outcome.results
    assert slow.status == "failed" and "timed out after 8 s" in slow.error and slow.seconds < 30
    assert not any(_alive(k) for k in _started(fault.hold, "slow"))
    assert [(j["status"], j["report"]) for j in fault.log()["jobs"]] == [("failed", "none")]
    fault.assert_clean()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_is_one_line_within_the_connect_timeout(fault, capsys):
    from evidence import cli

    config = _config(fault.folder, _reports(fault.notebook, fault.hold, ["r0"]))
    start = time.monotonic()
    code = cli.main(
        [
            "run",
            str(config),
            "--out",
            str(fault.out),
            "--scheduler",
            f"tcp://127.0.0.1:{_free_port()}",
            "--connect-timeout",
            "2",
        ]
    )
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err.strip()
    assert code == 2 and elapsed < 10
    assert err.startswith("error: cannot reach the dask scheduler at tcp://127.0.0.1:") and len(err.splitlines()) == 1
    assert "within 2 s" in err
    assert not (fault.out / "run.json").exists()  # nothing ran: the run log is not touched
    assert not (fault.out / ".staging").exists() and not list(fault.temp.iterdir())


def test_one_run_at_a_time_owns_a_reports_folder(tmp_path):
    first = RunFolder(tmp_path)
    try:
        with pytest.raises(BatchError, match=f"another batch run is writing these reports \\(run {first.run_id}"):
            RunFolder(tmp_path)
    finally:
        first.close()
    RunFolder(tmp_path).close()  # released
    assert not (tmp_path / ".staging").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is a Linux feature")
def test_a_child_dies_with_its_parent_and_its_folder_is_swept(tmp_path):
    """A child started with :func:`die_with_parent` is killed when its parent is; a folder
    whose owner died is swept, one whose owner lives is not."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import subprocess, sys, time\n"
                "from evidence.reporting.processes import OwnedFolder, die_with_parent\n"
                f"folder = OwnedFolder('evidence-test-', {str(tmp_path)!r})\n"
                "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],\n"
                "                         preexec_fn=die_with_parent())\n"
                "print(child.pid, flush=True)\n"
                "time.sleep(60)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(parent.stdout.readline())
    mine = OwnedFolder("evidence-test-", tmp_path)
    try:
        assert _alive(child)
        parent.kill()
        parent.wait(timeout=10)
        _wait_for(lambda: not _alive(child), 10, "the child to die with its parent")
        removed = sweep_orphaned_folders("evidence-test-", tmp_path)
        assert len(removed) == 1 and removed[0] != mine.path and mine.path.is_dir()
    finally:
        mine.remove()
        if _alive(child):
            os.kill(child, signal.SIGKILL)
    assert die_with_parent() is not None
