"""``SummaryWriter.add_embedding``: the embedding projector's files. Arguments are checked here;
the values are formatted, the sprite tiled and encoded, and the files written in Rust."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from . import _convert, _core, _errors, _paths
from ._base import WriterBase
from ._convert import Step


class ProjectorMethods(WriterBase):
    """The ``add_embedding`` method of ``SummaryWriter``."""

    def add_embedding(
        self,
        mat: Any,
        metadata: Any = None,
        label_img: Any = None,
        global_step: Step = None,
        tag: str = "default",
        metadata_header: Any = None,
    ) -> None:
        """Adds embedding projector data: ``<logdir>/<step:05>/<tag>/`` gets ``tensors.tsv``,
        ``metadata.tsv`` and ``sprite.png``, and ``<logdir>/projector_config.pbtxt`` one more
        ``embeddings`` entry, as tensorboardX lays them out.

        Args:
            mat: ``(N, D)`` matrix, one feature vector per data point.
            metadata: ``N`` labels (each written as ``str(label)``), or with
                ``metadata_header`` ``N`` rows of ``len(metadata_header)`` values. Tabs,
                newlines and carriage returns in a label are written as ``\\t``, ``\\n``, ``\\r``.
            label_img: ``(N, C, H, W)`` images (C is 1 or 3, H equals W; floats in [0, 1] or
                uint8), tiled into ``sprite.png``; at most 8192 pixels on a side.
            global_step: Global step value to record (default 0); names the folder.
            tag: Name for the embedding; ``%``, ``/`` and ``\\`` are written as ``%25``,
                ``%2f`` and ``%5c`` in the folder name.
            metadata_header: Column names for multi-column metadata.

        The files are written before the call returns; unlike tensorboardX, nothing is written
        when ``write_to_disk`` is False. Bad values raise ``ArgumentError``, both the
        ``ValueError`` of turboboard and the ``AssertionError`` of tensorboardX.
        """
        if self._writer_core() is None:
            return
        if not isinstance(tag, str):
            raise TypeError(f"tag: expected a str, got {type(tag).__name__}")
        array = _convert.to_numpy(mat, "mat")
        with _errors.asserted():
            rows = array.shape[0] if array.ndim else 0
            fields, columns = (
                (None, 1) if metadata is None else _metadata(metadata, metadata_header, rows)
            )
            images = None if label_img is None else _convert.to_numpy(label_img, "label_img")
            step = str(self._step(global_step) or 0).zfill(5)
            encoded = tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")
            folder = f"{step}/{encoded}"
            subdir = "/".join(_paths.parts_inside(folder, f"tag {tag!r} (folder {folder!r})"))
            _core.write_embedding(
                self._logdir,
                subdir,
                f"{tag}:{step}",
                array,
                fields,
                columns,
                images,
                _paths.storage_options(self._storage_options),
            )


def _metadata(metadata: Any, header: Any, count: int) -> tuple[list[str], int]:
    """The labels as strings, row by row (the header first), and the number of columns."""
    if not isinstance(metadata, Collection) or isinstance(metadata, (str, bytes)):
        raise TypeError(f"metadata: expected a list of labels, got {type(metadata).__name__}")
    if len(metadata) != count:
        raise ValueError(
            f"metadata: expected one label per row of mat ({count}), got {len(metadata)}"
        )
    if not header:
        return [str(label) for label in metadata], 1
    if not isinstance(header, Collection) or isinstance(header, (str, bytes)):
        raise TypeError(f"metadata_header: expected a list of column names, got {header!r}")
    columns = len(header)
    fields = [str(name) for name in header]
    for i, row in enumerate(metadata):
        if not isinstance(row, Collection) or isinstance(row, (str, bytes)) or len(row) != columns:
            raise ValueError(
                f"metadata: with metadata_header, each row needs {columns} values; "
                f"row {i} is {row!r}"
            )
        fields.extend(str(value) for value in row)
    return fields, columns
