"""Execute the book's notebooks once, in parallel, into the book's jupyter-cache, and print their times.

    python tools/execute_notebooks.py          # execute what changed (2 at a time), print the times
    python tools/execute_notebooks.py --times  # only print the times recorded in the cache
    python tools/execute_notebooks.py --export _build/executed  # also write the executed notebooks there

``jupyter-book build`` (``execute_notebooks: cache``) then reads every notebook from this cache
instead of executing it again, one at a time. The cache matches notebooks by a hash of their code
cells, so the book build finds exactly these executions.
The times are those of the last execution of each notebook, taken while another notebook ran on
the other core: a notebook run alone on a quiet machine is somewhat faster.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "_build" / ".jupyter_cache"
TIMEOUT_S = 300  # the same as execute.timeout in _config.yml
BUDGET_S = 60  # each notebook should execute in a minute or less on the 2-core CPU
KERNEL_PROFILE = ROOT / "_build" / "ipython"  # IPYTHONDIR of the kernels the checks start


def quiet_kernel_profile() -> str:
    """Write an IPython profile whose kernels log errors only, and return its folder (for IPYTHONDIR).

    ipykernel 7 logs "Kernel is running over TCP without encryption" once per kernel: the course's
    kernels listen on 127.0.0.1 only, and 35 notebooks (twice in ``make test``) made that notice most
    of the log. What cells print or warn still reaches their outputs; a learner's own IPython
    profile (``make lab``) is not touched.
    """
    config = KERNEL_PROFILE / "profile_default" / "ipython_kernel_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('c.IPKernelApp.log_level = "ERROR"  # written by tools/execute_notebooks.py\n')
    return str(KERNEL_PROFILE)


def one_thread_per_kernel() -> dict[str, str]:
    """TensorFlow's thread pools sized for two kernels sharing two cores: one thread each.

    By default every kernel starts as many intra-op threads as the machine has cores, so two
    notebooks executed side by side run four busy threads on two cores, and TensorFlow's spinning
    workers take time from each other. One thread per kernel gave the same outputs with about 10%
    less CPU time (chapter 10, measured). A learner's JupyterLab (``make lab``) keeps the defaults.
    """
    return {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


def book_notebooks() -> list[Path]:
    """The notebooks the table of contents lists (files and globs), in reading order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found: list[Path] = []

    def visit(entry):
        if isinstance(entry, dict):
            if "file" in entry:
                path = ROOT / f"{entry['file']}.ipynb"
                if path.exists():
                    found.append(path)
            if "glob" in entry:
                found.extend(sorted(p for p in ROOT.glob(f"{entry['glob']}.ipynb")))
            for value in entry.values():
                if isinstance(value, list):
                    for item in value:
                        visit(item)
        elif isinstance(entry, list):
            for item in entry:
                visit(item)

    visit(toc)
    return list(dict.fromkeys(found))


def _kernel_failed_to_start(traceback: str | None) -> bool:
    return bool(traceback) and ("Kernel died before replying to kernel_info" in traceback
                                or "Address already in use" in traceback)


def recorded_times(cache, notebooks: list[Path]) -> list[tuple[float, str]]:
    """(seconds, notebook) of each notebook's cached execution, slowest first."""
    times = []
    for path in notebooks:
        try:
            record = cache.get_cached_project_nb(str(path))
        except KeyError:
            record = None
        if record is not None:
            times.append((float(record.data.get("execution_seconds", float("nan"))), str(path.relative_to(ROOT))))
    return sorted(times, reverse=True)


def print_times(times: list[tuple[float, str]], top: int | None = None) -> None:
    shown = times if top is None else times[:top]
    title = "all notebooks" if top is None else f"slowest {len(shown)} notebooks"
    print(f"execution times, {title} (budget {BUDGET_S} s each; 2 notebooks ran at a time):")
    for seconds, name in shown:
        flag = "  <- over budget" if seconds > BUDGET_S else ""
        print(f"  {seconds:6.1f} s  {name}{flag}")


def export(cache, notebooks: list[Path], folder: Path) -> None:
    """Write each notebook with the outputs of its cached execution to ``folder``/<its path in the repo>."""
    import nbformat

    shutil.rmtree(folder, ignore_errors=True)
    for path in notebooks:
        try:  # the current file with the outputs of its cached execution (matched by the code cells' hash)
            _, executed = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            raise SystemExit(f"{path.relative_to(ROOT)} has no cached execution: it changed while it ran; "
                             "run again") from None
        target = folder / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(executed, target)
    shown = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    print(f"wrote {len(notebooks)} executed notebooks to {shown}/", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", action="store_true", help="only print the recorded times")
    parser.add_argument("--top", type=int, default=None, help="print only the N slowest notebooks")
    parser.add_argument("--export", type=Path, default=None, help="write the executed notebooks to this folder")
    parser.add_argument("only", nargs="*", type=Path, help="execute only these notebooks (default: the whole book)")
    args = parser.parse_args(argv)

    from jupyter_cache import get_cache
    from jupyter_cache.executors import load_executor

    CACHE.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("IPYTHONDIR", quiet_kernel_profile())  # the kernels inherit it
    os.environ.update(one_thread_per_kernel())
    cache = get_cache(str(CACHE))
    notebooks = book_notebooks()
    if args.only:
        only = {p.resolve() for p in args.only}
        missing = only - set(notebooks)
        if missing:
            parser.error(f"not in the table of contents: {', '.join(str(p) for p in sorted(missing))}")
        notebooks = [p for p in notebooks if p in only]
    if not args.times:
        if not args.only:  # forget notebooks that left the book
            wanted = {str(p) for p in book_notebooks()}
            for record in cache.list_project_records():
                if record.uri not in wanted:
                    cache.remove_nb_from_project(record.uri)
        for path in notebooks:
            cache.add_nb_to_project(str(path))
        stale = [r for r in cache.list_unexecuted() if Path(r.uri) in set(notebooks)]
        print(f"executing {len(stale)} of {len(notebooks)} notebooks (the others are cached), "
              f"2 at a time ...", flush=True)
        logger = logging.getLogger("execute_notebooks")
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        t0 = time.perf_counter()
        result = load_executor("local-parallel", cache=cache, logger=logger).run_and_cache(
            filter_uris=[str(p) for p in notebooks], timeout=TIMEOUT_S, allow_errors=False)
        failed = [*result.excepted, *result.errored]
        # Two kernels started at the same moment can pick the same port and one dies before it
        # answers ("Kernel died before replying to kernel_info"): run those again, one at a time.
        retry = [uri for uri in failed if _kernel_failed_to_start(cache.get_project_record(uri).traceback)]
        if retry:
            print(f"{len(retry)} kernel(s) failed to start; running those notebooks again, one at a time",
                  flush=True)
            again = load_executor("local-serial", cache=cache, logger=logger).run_and_cache(
                filter_uris=retry, timeout=TIMEOUT_S, allow_errors=False)
            failed = [uri for uri in failed if uri not in retry] + [*again.excepted, *again.errored]
        n_done = len(notebooks) - len(failed)
        seconds = time.perf_counter() - t0
        print(f"{n_done} of {len(notebooks)} notebooks executed or cached in {seconds:.0f} s", flush=True)
        for uri in failed:
            record = cache.get_project_record(uri)
            print(f"\nFAILED: {Path(uri).relative_to(ROOT)}\n{record.traceback or ''}", file=sys.stderr)
        if failed:
            print_times(recorded_times(cache, notebooks), args.top)
            return 1
    if args.export is not None:
        export(cache, notebooks, args.export.resolve())
    print_times(recorded_times(cache, notebooks), args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
