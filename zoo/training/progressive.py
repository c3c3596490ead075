"""Progressive training: one run of the foundation loop (``zoo.training.loop.train``) per level.

Each level has its own resolution, batch size and length in images; the trainer's checkpointed ``level`` and
``level_images`` say where a resumed run stands, so a run killed in the middle of a level continues inside it.
"""

from __future__ import annotations

import dataclasses
import math
import os

from zoo.training.checkpoint import restore_newest
from zoo.training.loop import train
from zoo.utils.images import save_grid


@dataclasses.dataclass(frozen=True)
class Level:
    """One level of the schedule: ``index`` (0 = 4 px), its ``resolution``, ``images`` real images shown,
    ``batch_size`` (global) and the first ``fade_images`` of them spent fading the new block in."""

    index: int
    resolution: int
    images: int
    batch_size: int
    fade_images: int

    @property
    def steps(self) -> int:
        return math.ceil(self.images / self.batch_size)


def _per_level(values, n: int, what: str) -> tuple:
    values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
    if len(values) == 1:
        return values * n
    if len(values) < n:
        raise ValueError(f"{what}: {len(values)} values {values} for {n} levels; give one per resolution or a "
                         f"single value")
    return values[:n]


def level_schedule(resolutions, images_per_level, batch_sizes, fade_fraction: float = 0.5) -> list[Level]:
    """The levels for ``resolutions`` (successive doublings from 4, e.g. (4, 8, 16)). ``images_per_level`` and
    ``batch_sizes``: one value for all levels or one per level (extra values ignored). Every level but the first
    fades its new block in over ``fade_fraction`` of its images (ProGAN: half transition, half stabilisation)."""
    resolutions = tuple(int(r) for r in resolutions)
    if not resolutions:
        raise ValueError("resolutions is empty; expected e.g. 4,8,16")
    if resolutions[0] != 4 or any(b != 2 * a for a, b in zip(resolutions, resolutions[1:])):
        raise ValueError(f"resolutions must double from 4 (4,8,16,...), got {','.join(map(str, resolutions))}")
    if not 0.0 <= fade_fraction <= 1.0:
        raise ValueError(f"fade_fraction must be in [0, 1], got {fade_fraction}")
    images = _per_level(images_per_level, len(resolutions), "images_per_level")
    batches = _per_level(batch_sizes, len(resolutions), "batch_sizes")
    levels = []
    for i, (res, n, b) in enumerate(zip(resolutions, images, batches)):
        if n < 1 or b < 1:
            raise ValueError(f"level {res} px: images ({n}) and batch size ({b}) must be positive")
        levels.append(Level(i, res, int(n), int(b), 0 if i == 0 else int(round(n * fade_fraction))))
    return levels


def describe_schedule(levels: list[Level]) -> list[str]:
    lines = ["level schedule:", "  level  resolution  images  fade-in  batch  steps"]
    for lv in levels:
        lines.append(f"  {lv.index:5d}  {lv.resolution:7d} px  {lv.images:6d}  {lv.fade_images:7d}  "
                     f"{lv.batch_size:5d}  {lv.steps:5d}")
    lines.append(f"  total: {sum(lv.images for lv in levels)} images, {sum(lv.steps for lv in levels)} steps")
    return lines


def resume_position(trainer, levels: list[Level]) -> tuple[int, bool]:
    """(index into ``levels`` to train next, whether it continues a partly done level) from the trainer's
    restored ``level`` / ``level_images`` variables."""
    level, done = int(trainer.level.numpy()), int(trainer.level_images.numpy())
    for i, lv in enumerate(levels):
        if lv.index == level:
            if done >= lv.images:
                return i + 1, False
            return i, done > 0
    raise ValueError(f"the checkpoint is at level {level}, which the schedule "
                     f"{[lv.resolution for lv in levels]} does not have")


def level_grid_path(run_dir: str, level: Level) -> str:
    """Where a finished level's sample grid goes: ``samples/level<i>_<R>px.png``."""
    return os.path.join(run_dir, "samples", f"level{level.index}_{level.resolution}px.png")


def end_level(level: Level, run_dir: str, render_samples=None, after_level=None) -> None:
    """The end-of-level work: ``after_level(level)`` (the evaluation), then the level's sample grid, last, so that
    a grid on disk says the evaluation before it ran. Both depend only on the trainer's state, which the level's
    last checkpoint holds: a resume can do them again with the same results."""
    if after_level is not None:
        after_level(level)
    if render_samples is not None:
        save_grid(level_grid_path(run_dir, level), render_samples())


def level_end_missing(level: Level, run_dir: str, render_samples=None, after_level=None) -> bool:
    """Whether the end-of-level work of a finished ``level`` is incomplete in ``run_dir`` (a run killed between the
    level's last checkpoint and its evaluation): its sample grid is absent, or ``after_level.done(level)`` (for a
    hook that can tell, as ``LevelMetrics``: a row in levels.csv) is false."""
    if render_samples is not None and not os.path.isfile(level_grid_path(run_dir, level)):
        return True
    done = getattr(after_level, "done", None)
    return callable(done) and not done(level)


def train_progressive(trainer, levels: list[Level], dataset_fn, run_dir: str, *, resume: bool = False,
                      checkpoint_every: int = 500, keep_checkpoints: int = 2, log_every: int = 10,
                      render_samples=None,
                      epoch_steps: int = 1000, extra_callbacks=(), after_level=None, verbose=None,
                      time_budget_s: float = 0.0) -> dict:
    """Train ``trainer`` (a built, compiled ``ProgressiveTrainer``) level by level.

    ``dataset_fn(level: Level, start_step)`` -> infinite batches [level.batch_size, R, R, C] at the level's
    resolution. ``render_samples()`` -> images [N, R, R, C] in [-1, 1] (the loop's sample grids, and
    ``samples/level<i>_<R>px.png`` when a level ends). ``after_level(level)`` runs after each finished level
    (evaluation). With ``resume`` the newest checkpoint is restored first and training continues at the level,
    fade-in and image count it holds; when that checkpoint ends a level whose grid or evaluation is missing (the
    run was killed between them), they are made first. ``time_budget_s`` > 0 ends the run (with a checkpoint) once
    its training wall-clock time, summed over levels and resumes, reaches that many seconds; a later ``--resume``
    with a larger budget continues inside the level.
    Returns {"levels_done": [...], "images_seen": int, "budget_spent": bool}.
    """
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    start, continuing, seconds = 0, False, 0.0
    if resume:
        path, stored = restore_newest(ckpt_dir, trainer.checkpoint_variables())
        if path is None:
            print(f"no checkpoint in {ckpt_dir}: starting from the first level", flush=True)
        else:
            seconds = float(stored.get("train_seconds", 0.0))  # summed over the levels before (see below)
            start, continuing = resume_position(trainer, levels)
            where = (f"level {levels[start].index} ({levels[start].resolution} px), "
                     f"{int(trainer.level_images.numpy())}/{levels[start].images} images, "
                     f"alpha {float(trainer.alpha.numpy()):.3f}") if continuing else (
                f"the start of level {start}" if start < len(levels) else "the end of the schedule")
            print(f"resumed from {path} at step {trainer.completed_steps()}: {where}", flush=True)
            finished = levels[start - 1] if start > 0 and not continuing else None
            if finished is not None and int(trainer.level_images.numpy()) >= finished.images and \
                    level_end_missing(finished, run_dir, render_samples, after_level):
                print(f"level {finished.index} ({finished.resolution} px) ended without its evaluation or sample "
                      f"grid: making them from {path}", flush=True)
                trainer.sync_level()  # the restored level, for sampling
                end_level(finished, run_dir, render_samples, after_level)
    done, spent = [], False
    for i in range(start, len(levels)):
        if spent:
            break
        lv = levels[i]
        trainer.enter_level(lv.index, lv.images, lv.fade_images, fresh=not (continuing and i == start))
        left = math.ceil((lv.images - int(trainer.level_images.numpy())) / lv.batch_size)
        print(f"level {lv.index}: {lv.resolution} px, batch {lv.batch_size}, {left} steps", flush=True)
        state = train(trainer, lambda offset, lv=lv: dataset_fn(lv, offset), run_dir,
                      steps_per_epoch=max(1, min(epoch_steps, lv.steps)),
                      total_steps=trainer.completed_steps() + left, checkpoint_every=checkpoint_every,
                      keep_checkpoints=keep_checkpoints,
                      log_every=log_every, render_samples=render_samples, extra_callbacks=extra_callbacks,
                      verbose=verbose, time_budget_s=time_budget_s, seconds_before=seconds)
        seconds, spent = state.train_seconds(), state.budget_spent  # checkpoints store the run's total seconds
        if int(trainer.level_images.numpy()) < lv.images:  # stopped early (budget, step cap); not a finished level
            break
        end_level(lv, run_dir, render_samples, after_level)
        done.append(lv.resolution)
        del state
    return {"levels_done": done, "images_seen": int(trainer.images_seen.numpy()), "budget_spent": spent}
