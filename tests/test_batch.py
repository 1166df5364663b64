"""The batch runner: parallel workers, incremental runs, retries, timeouts, dask."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import nbformat
import pytest
import yaml

from evidence.reporting import background_audit, batch, execute, fingerprints, job_results, jobs
from evidence.reporting import pool as pool_module

KERNEL = {"name": "evidence", "display_name": "Python (evidence)", "language": "python"}

pytestmark = pytest.mark.slow  # all but three tests here run jobs in workers and kernels


def _notebook(path: Path, body: str) -> Path:
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Tiny report\n\n## Result"),
            nbformat.v4.new_code_cell(
                'value: int = 1  # a number\nresults_path: str = ""  # set by the batch',
                metadata={"tags": ["parameters"]},
            ),
            nbformat.v4.new_code_cell(body),
        ],
        metadata={"kernelspec": KERNEL},
    )
    nbformat.write(notebook, path)
    return path


def _config(folder: Path, reports: list[dict]) -> Path:
    path = folder / "batch.yml"
    path.write_text(yaml.safe_dump({"year": 2025, "title": "Tiny batch", "kernel": "evidence", "reports": reports}))
    return path


def _specs(config: Path, out: Path) -> list[dict]:
    """The worker specs of every job in a config, as the batch makes them."""
    loaded = jobs.load_config(config)
    staging = out / ".staging" / "test-run"
    staging.mkdir(parents=True, exist_ok=True)
    return [execute.job_spec(job, loaded, out, timeout=600, retries=2, staging=staging) for job in loaded.jobs]


@pytest.fixture()
def tiny(tmp_path):
    notebook = _notebook(
        tmp_path / "tiny.ipynb",
        "from IPython.display import Markdown, display\ndisplay(Markdown(f'value is {value * 2}'))",
    )
    config = _config(
        tmp_path, [{"name": f"r{i}", "notebook": str(notebook), "parameters": {"value": i}} for i in range(3)]
    )
    return tmp_path, notebook, config


def test_parallel_then_incremental_then_forced(tiny):
    folder, notebook, config = tiny
    out = folder / "reports"
    first = batch.run_batch(config, out, show_progress=False, workers=2)
    assert [r.status for r in first.results] == ["succeeded"] * 3
    assert "value is 4" in (out / "r2.html").read_text()
    assert all(r.reason == "no earlier success recorded" for r in first.results)

    second = batch.run_batch(config, out, show_progress=False, workers=2)
    assert [r.status for r in second.results] == ["skipped"] * 3
    assert second.succeeded
    log = json.loads((out / "run.json").read_text())
    assert all(j["reason"].startswith("unchanged since") for j in log["jobs"])

    reports = yaml.safe_load(config.read_text())
    reports["reports"][1]["parameters"]["value"] = 10
    config.write_text(yaml.safe_dump(reports))
    third = batch.run_batch(config, out, show_progress=False, workers=2)
    assert [r.status for r in third.results] == ["skipped", "succeeded", "skipped"]
    assert third.results[1].reason == "changed since the last success: parameters"
    assert "value is 20" in (out / "r1.html").read_text()

    (out / "r0.html").unlink()
    fourth = batch.run_batch(config, out, show_progress=False)
    assert fourth.results[0].reason.startswith("output missing")

    forced = batch.run_batch(config, out, show_progress=False, force=True)
    assert [r.reason for r in forced.results] == ["forced (--force)"] * 3


def test_changed_notebook_or_inputs_rerun(tiny, tmp_path):
    folder, notebook, config = tiny
    out = folder / "reports"
    batch.run_batch(config, out, show_progress=False)
    job = jobs.load_config(config).jobs[0]
    cfg = jobs.load_config(config)
    _notebook(notebook, "print('different code')")
    reason, _, _ = fingerprints.why_run(job, cfg, out, force=False)
    assert reason == "changed since the last success: notebook"


def test_a_failed_job_is_rerun_next_time_and_others_are_not(tmp_path):
    good = _notebook(tmp_path / "good.ipynb", "x = value")
    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('broken on purpose')")
    config = _config(tmp_path, [{"name": "good", "notebook": str(good)}, {"name": "bad", "notebook": str(bad)}])
    out = tmp_path / "reports"
    first = batch.run_batch(config, out, show_progress=False)
    assert [r.status for r in first.results] == ["succeeded", "failed"]
    assert "ValueError: broken on purpose" in first.results[1].error
    second = batch.run_batch(config, out, show_progress=False)
    assert [r.status for r in second.results] == ["skipped", "failed"]
    assert not second.succeeded


def test_kernel_start_failures_are_retried(tmp_path, monkeypatch):
    import papermill

    notebook = _notebook(tmp_path / "n.ipynb", "x = 1")
    real = papermill.execute_notebook
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("Kernel didn't respond in 60 seconds")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    spec = _specs(_config(tmp_path, [{"name": "n", "notebook": str(notebook)}]), tmp_path / "reports")[0]
    result = execute.execute_job(spec)
    assert result["status"] == "succeeded" and result["attempts"] == 2

    def broken(*args, **kwargs):
        raise RuntimeError("Kernel didn't respond in 60 seconds")

    monkeypatch.setattr(papermill, "execute_notebook", broken)
    result = execute.execute_job(spec)
    assert result["status"] == "failed" and result["attempts"] == 3
    assert execute._is_kernel_start_error(OSError("zmq.error.ZMQError: Address already in use"))
    assert not execute._is_kernel_start_error(ValueError("bad value"))


def test_runs_on_a_dask_cluster(tiny):
    from dask.distributed import LocalCluster

    folder, _, config = tiny
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        outcome = batch.run_batch(config, folder / "dask-reports", show_progress=False, scheduler=address)
    assert [r.status for r in outcome.results] == ["succeeded"] * 3
    assert json.loads((folder / "dask-reports" / "run.json").read_text())["scheduler"] == address


@pytest.mark.parametrize("prestart", [True, False])
def test_jobs_in_one_worker_share_no_state(tmp_path, prestart):
    """One long-lived worker runs every job, each in a fresh kernel (pre-started or not)."""
    notebook = _notebook(
        tmp_path / "leak.ipynb",
        "import json\n"
        "assert not hasattr(json, 'leaked'), 'state leaked between jobs'\n"
        "json.leaked = value\n"
        "import os\nprint('kernel', os.getpid())",
    )
    config = _config(
        tmp_path, [{"name": f"r{i}", "notebook": str(notebook), "parameters": {"value": i}} for i in range(3)]
    )
    outcome = batch.run_batch(config, tmp_path / "reports", show_progress=False, workers=1, prestart=prestart)
    assert [r.status for r in outcome.results] == ["succeeded"] * 3, [r.error for r in outcome.results]
    pids = {
        nbformat.read(tmp_path / "reports" / "notebooks" / f"r{i}.ipynb", as_version=4).cells[-1].outputs[0].text
        for i in range(3)
    }
    assert len(pids) == 3
    assert all(r.phases.get("execute", 0) > 0 for r in outcome.results)


def test_a_worker_that_dies_fails_its_job_only(tmp_path):
    killer = _notebook(
        tmp_path / "killer.ipynb", "import os, signal\nos.killpg(os.getpgid(os.getppid()), signal.SIGKILL)"
    )
    good = _notebook(tmp_path / "good.ipynb", "x = value")
    config = _config(tmp_path, [{"name": "killer", "notebook": str(killer)}, {"name": "good", "notebook": str(good)}])
    outcome = batch.run_batch(config, tmp_path / "reports", show_progress=False, workers=1)
    assert [r.status for r in outcome.results] == ["failed", "succeeded"]
    assert "without a result" in outcome.results[0].error


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread priority is a Linux feature")
def test_work_beside_the_jobs_runs_at_the_lowest_priority():
    """The processed-data audit runs in a thread at nice 19; the rest of the process keeps its
    priority."""
    seen = {}

    def probe():
        background_audit._yield_cpu_to_jobs()
        seen["thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    assert seen["thread"] == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == os.getpriority(os.PRIO_PROCESS, 0) < 19


def test_a_slot_with_no_job_left_closes_its_worker(tiny):
    """Once every job is taken, a worker exits when its job ends, not at the end of the batch."""
    folder, _, config = tiny
    pool = pool_module.WorkerPool(2, prestart=False)
    specs = _specs(config, folder / "reports")
    try:
        results = [future.result() for future in pool.submit_all(specs)]
        assert [r["status"] for r in results] == ["succeeded"] * 3
        assert pool.workers and not any(worker.alive for worker in pool.workers)
    finally:
        pool.shutdown()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is a Linux feature")
def test_the_default_follows_the_cores_this_process_may_use():
    """Confined to one core (taskset, a cpuset), the batch sees one core, whatever the machine has."""
    allowed = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(allowed)})
        assert batch.available_cores() == 1
    finally:
        os.sched_setaffinity(0, allowed)
    assert batch.available_cores() == len(allowed)


def test_a_worker_is_replaced_after_its_quota_of_jobs(tiny):
    """A long batch does not keep one worker for ever: after ``jobs_per_worker`` jobs the slot
    starts a new one (and the old one is gone)."""
    folder, _, config = tiny
    specs = _specs(config, folder / "reports")
    pool = pool_module.WorkerPool(1, prestart=True, jobs_per_worker=2)
    try:
        results = [future.result() for future in pool.submit_all(specs)]
        assert [r["status"] for r in results] == ["succeeded"] * 3
        assert [worker.jobs for worker in pool.workers] == [2, 1]
        assert not any(worker.alive for worker in pool.workers)
    finally:
        pool.shutdown()


@pytest.mark.parametrize(("flag", "expected"), [([], True), (["--prestart"], True), (["--no-prestart"], False)])
def test_cli_passes_prestart_to_the_batch(monkeypatch, tmp_path, flag, expected):
    from evidence import cli

    seen = {}

    def fake_run_batch(config, out, **options):
        seen.update(options)
        return job_results.BatchOutcome([], tmp_path / "index.html")

    monkeypatch.setattr(batch, "run_batch", fake_run_batch)
    assert cli.main(["run", "config/annual_report.yml", *flag]) == 0
    assert seen["prestart"] is expected


@pytest.mark.skipif(os.name != "posix", reason="Unix-domain sockets")
def test_kernels_talk_over_sockets_of_their_own(tmp_path):
    """Kernels use IPC sockets in a folder of the worker's own (TCP ports picked by two kernels
    starting at once can collide), with paths short enough for a socket; nothing is left."""
    from evidence.reporting.kernels import KernelSource, wait_until_ready

    source = KernelSource(tmp_path / "kernel_pids")
    km = source.take("evidence", str(tmp_path))
    try:
        wait_until_ready(km, timeout=60)
        info = km.get_connection_info()
        assert info["transport"] == "ipc"
        assert Path(info["ip"]).parent == tmp_path / "sockets"
        assert len(f"{info['ip']}-{info['shell_port']}") < 100
    finally:
        source.close()
    assert not (tmp_path / "sockets").exists()


@pytest.mark.skipif(os.name != "posix", reason="Unix-domain sockets")
def test_kernel_sockets_go_to_a_short_folder_when_the_workers_is_long(tmp_path):
    """A socket path longer than a Unix-domain socket allows would make the kernel fall back to
    TCP and never answer: under a long temporary folder the sockets get a short one of their own."""
    from evidence.reporting.kernels import SOCKET_PATH_LIMIT, KernelSource, wait_until_ready

    deep = tmp_path / ("d" * 60) / ("e" * 40)
    deep.mkdir(parents=True)
    source = KernelSource(deep / "kernel_pids")
    km = source.take("evidence", str(tmp_path))
    try:
        wait_until_ready(km, timeout=60)
        info = km.get_connection_info()
        folder = Path(info["ip"]).parent
        assert info["transport"] == "ipc" and folder.name.startswith("evk-")
        assert len(f"{info['ip']}-{info['shell_port']}") <= SOCKET_PATH_LIMIT
    finally:
        source.close()
    assert not folder.exists() and not (deep / "sockets").exists()
