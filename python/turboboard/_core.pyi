"""The Rust extension (rust/bindings): one event file written by a background thread."""

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from typing_extensions import final

__all__ = [
    "EventFileWriter",
    "Table",
    "default_bucket_limits",
    "list_objects",
    "read",
    "read_object",
    "write_embedding",
]

@final
class EventFileWriter:
    def __new__(
        cls,
        logdir: str,
        max_queue: int = 10,
        flush_secs: float = 120.0,
        filename_suffix: str = "",
        max_queue_bytes: int = 67108864,
        storage_options: Sequence[tuple[str, str]] | None = None,
    ) -> EventFileWriter: ...
    @staticmethod
    def in_memory() -> EventFileWriter: ...
    def take_events(self) -> list[bytes]: ...
    @property
    def logdir(self) -> str: ...
    @property
    def path(self) -> str: ...
    def add_scalar(
        self,
        tag: str,
        scalar_value: float,
        global_step: int | None = None,
        walltime: float | None = None,
        display_name: str | None = None,
        summary_description: str | None = None,
    ) -> None: ...
    def add_scalar_dict(
        self,
        tags: list[str],
        values: list[float],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None: ...
    def add_float_dict(
        self,
        tag_scalar_dict: dict[str, float],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> bool: ...
    def add_scalar_tensor(
        self,
        tag: str,
        scalar_value: float,
        global_step: int | None = None,
        walltime: float | None = None,
        double_precision: bool = False,
    ) -> None: ...
    def add_histogram(
        self,
        tag: str,
        values: npt.NDArray[np.generic],
        global_step: int | None = None,
        walltime: float | None = None,
        bins: npt.NDArray[np.float64] | None = None,
        max_bins: int | None = None,
    ) -> None: ...
    def add_histogram_raw(
        self,
        tag: str,
        min: float,
        max: float,
        num: float,
        sum: float,
        sum_squares: float,
        bucket_limits: list[float],
        bucket_counts: list[float],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None: ...
    def add_image(
        self,
        tag: str,
        img_tensor: npt.NDArray[np.generic],
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str | None = None,
        image_compression: str = "size",
    ) -> None: ...
    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None: ...
    def add_audio(
        self,
        tag: str,
        snd_tensor: npt.NDArray[np.generic],
        global_step: int | None = None,
        sample_rate: int = 44100,
        walltime: float | None = None,
    ) -> None: ...
    def add_video(
        self,
        tag: str,
        vid_tensor: npt.NDArray[np.generic],
        global_step: int | None = None,
        fps: float = 4.0,
        walltime: float | None = None,
        dataformats: str | None = None,
    ) -> None: ...
    def add_image_with_boxes(
        self,
        tag: str,
        img_tensor: npt.NDArray[np.generic],
        box_tensor: npt.NDArray[np.float64],
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str | None = None,
        labels: list[str] | None = None,
        rescale: float = 1.0,
        image_compression: str = "size",
    ) -> None: ...
    def add_event(
        self, event: bytes, global_step: int | None = None, walltime: float | None = None
    ) -> None: ...
    def add_summary(
        self, summary: bytes, global_step: int | None = None, walltime: float | None = None
    ) -> None: ...
    def add_pr_curve(
        self,
        tag: str,
        labels: npt.NDArray[np.float64],
        predictions: npt.NDArray[np.generic],
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights: npt.NDArray[np.float64] | None = None,
        walltime: float | None = None,
    ) -> None: ...
    def add_pr_curve_raw(
        self,
        tag: str,
        true_positive_counts: npt.NDArray[np.float64],
        false_positive_counts: npt.NDArray[np.float64],
        true_negative_counts: npt.NDArray[np.float64],
        false_negative_counts: npt.NDArray[np.float64],
        precision: npt.NDArray[np.float64],
        recall: npt.NDArray[np.float64],
        global_step: int | None = None,
        num_thresholds: int = 127,
        walltime: float | None = None,
    ) -> None: ...
    def add_custom_scalars(
        self,
        layout: list[tuple[str, list[tuple[str, bool, list[str]]]]],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None: ...
    def add_mesh(
        self,
        tag: str,
        vertices: npt.NDArray[np.generic],
        colors: npt.NDArray[np.generic] | None = None,
        faces: npt.NDArray[np.generic] | None = None,
        json_config: str | None = None,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None: ...
    def add_tensor(
        self,
        tag: str,
        tensor: npt.NDArray[np.generic],
        global_step: int | None = None,
        walltime: float | None = None,
        kind: str | None = None,
    ) -> None: ...
    def add_hparams(
        self,
        hparams: list[tuple[str, bool | str | float | None, list[bool | str | float] | None]],
        metrics: list[str],
        walltime: float | None = None,
    ) -> None: ...
    def add_graph(
        self,
        nodes: list[tuple[str, str, list[str], list[tuple[str, str, Any]]]],
        run_metadata: bool = False,
        walltime: float | None = None,
    ) -> None: ...
    def add_graph_def(
        self,
        graph_def: bytes,
        run_metadata: bytes | None = None,
        walltime: float | None = None,
    ) -> None: ...
    def add_purge_marker(self, step: int, walltime: float | None = None) -> None: ...
    def flush(self) -> None: ...
    def close(self, timeout: float | None = None) -> None: ...

def default_bucket_limits() -> list[float]: ...
def write_embedding(
    logdir: str,
    subdir: str,
    tensor_name: str,
    mat: npt.NDArray[np.generic],
    metadata: list[str] | None = None,
    metadata_columns: int = 1,
    label_img: npt.NDArray[np.generic] | None = None,
    storage_options: Sequence[tuple[str, str]] | None = None,
) -> None: ...
def list_objects(
    url: str, storage_options: Sequence[tuple[str, str]] | None = None
) -> list[tuple[str, int]]: ...
def read_object(url: str, storage_options: Sequence[tuple[str, str]] | None = None) -> bytes: ...

@final
class Table:
    @property
    def kind(self) -> str: ...
    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> list[str]: ...
    @property
    def schema(self) -> list[tuple[str, str]]: ...
    def __arrow_c_schema__(self) -> object: ...
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def column(self, name: str, copy: bool = False) -> Any: ...
    def take_columns(self) -> list[tuple[str, Any]]: ...
    def write(self, path: str | os.PathLike[str], format: str) -> None: ...

def read(
    logdir: str,
    kind: str,
    run_globs: Sequence[str] | None,
    run_regex: str | None,
    tag_globs: Sequence[str] | None,
    tag_regex: str | None,
    check_crc: bool,
    skip_corrupt: bool,
    purge: bool,
    storage_options: Sequence[tuple[str, str]],
    tensors: bool = True,
) -> tuple[Table, list[str]]: ...
