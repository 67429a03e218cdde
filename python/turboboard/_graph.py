"""``SummaryWriter``'s graph methods: a torch module traced with ``torch.jit.trace``, an ONNX
model and an OpenVINO IR, each shown by TensorBoard's graphs plugin.

Only Python can read torch's traced graphs and ONNX models, so the models are walked here into
plain node tuples ``(name, op, inputs, attrs)``; the ``GraphDef`` is built and encoded by prost
in Rust, so no protobuf package is needed at run time. torch and onnx are imported only when
their method is called.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import Any

from . import _paths
from ._base import WriterBase

# (key, kind, value): kind is "bytes", "type", "shape" or "shapes", as the core reads them.
Attr = tuple[str, str, Any]
Node = tuple[str, str, list[str], list[Attr]]


class GraphMethods(WriterBase):
    """The graph methods of ``SummaryWriter``."""

    def add_graph(
        self,
        model: Any,
        input_to_model: Any = None,
        verbose: bool = False,
        use_strict_trace: bool = True,
    ) -> None:
        """Adds the graph of a torch module, traced with ``torch.jit.trace`` on an input.

        Node names, ops, scopes and output shapes are those tensorboardX and torch write; the
        graph is followed by their run metadata event (tagged ``profiler``, as tensorboardX
        tags it).

        Args:
            model: The ``torch.nn.Module`` to draw.
            input_to_model: A tensor or a tuple of tensors to call the model with (None: no
                arguments).
            verbose: Whether to print the traced graph.
            use_strict_trace: Passed to ``torch.jit.trace`` as ``strict``; False records
                mutable containers (lists, dicts) the model returns.
        """
        core = self._writer_core()
        if core is None:
            return
        nodes = _torch_nodes(model, input_to_model, verbose, use_strict_trace)
        core.add_graph(nodes, True, self._when(None, None)[1])

    def add_onnx_graph(self, onnx_model_file: str) -> None:
        """Adds the graph of an ONNX model file (read with the ``onnx`` package).

        Its inputs and outputs become ``Variable`` nodes, each operator a node named by its
        first output, as tensorboardX writes them.
        """
        core = self._writer_core()
        if core is None:
            return
        path = _paths.path_arg(onnx_model_file, "onnx_model_file")
        try:
            import onnx

            # protobuf comes with onnx.
            from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
        except ImportError:
            raise ImportError("add_onnx_graph needs the onnx package (pip install onnx)") from None
        try:
            model = onnx.load(path)
        except DecodeError as e:
            raise ValueError(f"onnx_model_file: {path} is not an ONNX model: {e}") from None
        core.add_graph(_onnx_nodes(model.graph), False, None)

    def add_openvino_graph(self, xmlname: str) -> None:
        """Adds the graph of an OpenVINO IR (its ``.xml`` file): one node per edge, named by
        the layer the edge enters, as tensorboardX writes it."""
        core = self._writer_core()
        if core is None:
            return
        core.add_graph(_openvino_nodes(_paths.path_arg(xmlname, "xmlname")), False, None)


def _node(name: str, op: str, inputs: list[str], attrs: list[Attr]) -> Node:
    return (name, op, inputs, attrs)


# --- torch: the walk of torch.utils.tensorboard._pytorch_graph (which tensorboardX calls) ----


class _Value:
    """A node of the drawn graph: a graph input or output (``io``) or one output of an op."""

    def __init__(
        self,
        name: str,
        inputs: list[str],
        size: list[int] | None,
        kind: str,
        attributes: str = "",
        scope: str | None = None,
        io: str = "",
    ) -> None:
        self.name, self.inputs, self.size, self.kind = name, inputs, size, kind
        self.attributes, self.scope, self.io = attributes, scope, io


def _torch_nodes(model: Any, args: Any, verbose: bool, strict: bool) -> list[Node]:
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    # No input means a model called without arguments (the anchors fail on None).
    args = () if args is None else args
    with _eval_mode(model):
        try:
            # check_trace would trace the model a second time to compare: most of the cost of
            # add_graph, for a warning about a graph that is only drawn.
            trace = torch.jit.trace(model, args, strict=strict, check_trace=False)
        except RuntimeError as e:
            raise RuntimeError(f"model: torch.jit.trace failed, no graph written: {e}") from e
    graph = trace.graph
    torch._C._jit_pass_inline(graph)
    if verbose:
        print(graph)
    return [
        _node(
            v.name,
            v.kind,
            v.inputs,
            [("attr", "bytes", v.attributes.encode())]
            + ([] if v.size is None else [("_output_shapes", "shapes", [v.size])]),
        )
        for v in _walk(graph, trace, torch)
    ]


@contextlib.contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    """Traces in eval mode (dropout and batch norm as at inference), then restores the mode."""
    training = model.training
    model.train(False)
    try:
        yield
    finally:
        model.train(training)


def _sizes(value: Any) -> list[int]:
    """A graph input's or output's shape; [1] when it has none (a constant or a tuple)."""
    try:
        return list(value.type().sizes())
    except RuntimeError:
        return [1]


def _walk(graph: Any, trace: Any, torch: Any) -> list[_Value]:
    # Graph inputs first (the module itself and unused ones left out), then the graph outputs,
    # then every output of every op, in graph order: the anchors' node order.
    values: dict[str, _Value] = {}
    for value in graph.inputs():
        if value.uses() and value.type().kind() != "ClassType":
            values[value.debugName()] = _Value(
                value.debugName(), [], _sizes(value), "IO Node", io="input"
            )
    for i, value in enumerate(graph.outputs(), 1):
        name = f"output.{i}"
        values[name] = _Value(name, [value.debugName()], _sizes(value), "IO Node", io="output")

    ops = []  # (op node, scope as torch records it)
    attr_scopes: dict[str, str] = {}  # GetAttr outputs: the module path they read
    for node in graph.nodes():
        scope = node.scopeName()
        if node.kind() == "prim::GetAttr":
            parent = node.input().node()
            if parent.kind() == "prim::GetAttr":
                parent_scope = attr_scopes[parent.output().debugName()]
                scope = f"{parent_scope}/{parent_scope.split('/')[-1]}.{node.s('name')}"
            else:
                scope = f"__module.{node.s('name')}"
            attr_scopes[node.output().debugName()] = scope
            # Submodules are not drawn: the scopes show them.
            if node.output().type().kind() == "ClassType":
                continue
        ops.append((node, scope))

    # Scopes named as the anchors name them: Net/Sequential[body]/Conv2d[0].
    def module_name(module: Any) -> str:
        if isinstance(module, torch.jit.TracedModule):
            return str(module._name)
        return str(getattr(module, "original_name", "Module"))

    aliases = {
        path: f"{module_name(module)}[{path.split('.')[-1]}]"
        for path, module in trace.named_modules(prefix="__module")
    }
    root = module_name(trace)
    scoped: dict[str, str] = {}
    for node, scope in ops:
        parts = [aliases.get(alias, alias.split(".")[-1]) for alias in scope.split("/")]
        scope = root + ("/" + "/".join(parts) if any(parts) else "")
        attributes = str({k: getattr(node, node.kindOf(k))(k) for k in node.attributeNames()})
        inputs = [v.debugName() for v in node.inputs()]
        # Quotes confuse TensorBoard's attribute display: the anchors replace them.
        attributes = attributes.replace("'", " ")
        for value in node.outputs():
            size = list(value.type().sizes()) if value.isCompleteTensor() else None
            values[value.debugName()] = _Value(
                value.debugName(), inputs, size, node.kind(), attributes, scope
            )
        # An input that is no drawn node (a module) is named in the scope of its last user.
        for name in inputs:
            scoped[name] = f"{scope}/{name}"
    for key, value in values.items():
        scoped[key] = f"{value.io if value.scope is None else value.scope}/{value.name}"
    for value in values.values():
        value.inputs = [scoped[name] for name in value.inputs]
        value.name = scoped.get(value.name, value.name)
    return list(values.values())


# --- ONNX and OpenVINO: tensorboardX's onnx_graph.py and openvino_graph.py --------------------


def _onnx_nodes(graph: Any) -> list[Node]:
    nodes = [
        _node(
            value.name,
            "Variable",
            [],
            [
                ("dtype", "type", value.type.tensor_type.elem_type),
                ("shape", "shape", [d.dim_value for d in value.type.tensor_type.shape.dim]),
            ],
        )
        for value in (*graph.input, *graph.output)
    ]
    for node in graph.node:
        # Each attribute's set fields joined by " = " (name = value = type), as tensorboardX.
        parameters = ", ".join(
            " = ".join(str(value) for _, value in attribute.ListFields())
            for attribute in node.attribute
        )
        nodes.append(
            _node(
                node.output[0],
                node.op_type,
                list(node.input),
                [("parameters", "bytes", parameters.encode())],
            )
        )
    return nodes


def _openvino_nodes(xmlname: str) -> list[Node]:
    try:
        root = ElementTree.parse(xmlname).getroot()
    except ElementTree.ParseError as e:
        raise ValueError(f"xmlname: {xmlname} is not XML: {e}") from None
    layers, edges = root.find("layers"), root.find("edges")
    if layers is None or edges is None:
        raise ValueError(f"xmlname: expected an OpenVINO IR with <layers> and <edges>: {xmlname}")
    try:
        names = {layer.attrib["id"]: layer.attrib["name"] for layer in layers}
        return [
            _node(
                names[edge.attrib["to-layer"]],
                "op",
                [names[edge.attrib["from-layer"]]],
                [("parameters", "bytes", b"")],
            )
            for edge in edges
        ]
    except KeyError as e:
        raise ValueError(f"xmlname: a layer or edge lacks, or names an unknown, {e}") from None
