"""Static check of a ROS 2 launch file, for machines without `launch` and `launch_ros`.

The file is executed against stand-ins for the part of the launch API the legkit
launch files use, with the signatures of ROS 2 Jazzy's classes; anything else (an
unknown class, an unknown keyword, a nested list where Jazzy wants text or a
substitution) stops the check. The launch description it returns is then evaluated
for every combination of the arguments' allowed values, and checked:

- every argument has a default, a description, and a line `name:=` in the file's
  docstring; a default is among its choices; every LaunchConfiguration is declared;
- a condition evaluates to true or false;
- every node's package is the workspace's and its executable a console script of
  setup.py; it has a name and a namespace (so launch writes its dict parameters for
  that node, and they win over the node's YAML entries instead of losing to them);
- every parameter file comes from FindPackageShare, is installed by setup.py, exists,
  parses, and has the ROS layout; a node's dict parameters and its section of a YAML
  are declared by the node's code (unless the code computes its parameter names).
"""

from __future__ import annotations

import ast
import itertools
import os
import runpy
import sys
import types
from collections.abc import Mapping
from pathlib import Path
from unittest import mock

import yaml

from tests.deploy.package_facts import (
    console_scripts,
    declared_parameters,
    installed_files,
    package_name,
)

SHARE = "@share/"
"""What FindPackageShare(pkg) evaluates to here: paths become install-relative."""

BOOLEAN = {"true", "false", "1", "0"}


# ---------------------------------------------------------------- API stand-ins
class Substitution:
    pass


class LaunchConfiguration(Substitution):
    def __init__(self, variable_name, *, default=None):
        self.name, self.default = variable_name, default


class PathJoinSubstitution(Substitution):
    def __init__(self, substitutions):
        self.parts = list(substitutions)
        for part in self.parts:  # Jazzy normalizes each part to one substitution
            if not isinstance(part, (str, Substitution)):
                raise TypeError(
                    f"PathJoinSubstitution takes text and substitutions, got {part!r} "
                    "(Jazzy's launch refuses nested lists)"
                )


class EqualsSubstitution(Substitution):
    def __init__(self, left, right):
        self.left, self.right = left, right


class FindPackageShare(Substitution):
    def __init__(self, package):
        self.package = package


class ParameterValue:
    def __init__(self, value, *, value_type=None):
        self.value, self.value_type = value, value_type


class IfCondition:
    negate = False

    def __init__(self, predicate_expression):
        self.predicate = predicate_expression


class UnlessCondition(IfCondition):
    negate = True


class DeclareLaunchArgument:
    def __init__(self, name, *, default_value=None, description=None, choices=None):
        self.name, self.default_value = name, default_value
        self.description, self.choices = description, choices


class Node:
    def __init__(
        self,
        *,
        executable,
        package=None,
        name=None,
        namespace=None,
        exec_name=None,
        parameters=None,
        remappings=None,
        ros_arguments=None,
        arguments=None,
        output="log",
        condition=None,
        respawn=False,
        respawn_delay=None,
        emulate_tty=False,
        additional_env=None,
    ):
        self.executable, self.package, self.name = executable, package, name
        self.namespace, self.parameters, self.condition = namespace, parameters or [], condition


class LaunchDescription:
    def __init__(self, initial_entities=None, *, deprecated_reason=None):
        self.entities = list(initial_entities or [])


API = {
    "launch": {"LaunchDescription": LaunchDescription},
    "launch.actions": {"DeclareLaunchArgument": DeclareLaunchArgument},
    "launch.conditions": {"IfCondition": IfCondition, "UnlessCondition": UnlessCondition},
    "launch.substitutions": {
        "LaunchConfiguration": LaunchConfiguration,
        "PathJoinSubstitution": PathJoinSubstitution,
        "EqualsSubstitution": EqualsSubstitution,
    },
    "launch_ros": {},
    "launch_ros.actions": {"Node": Node},
    "launch_ros.parameter_descriptions": {"ParameterValue": ParameterValue},
    "launch_ros.substitutions": {"FindPackageShare": FindPackageShare},
}


def load(path: Path) -> LaunchDescription:
    """Run the file's generate_launch_description() against the stand-ins."""
    modules = {}
    for name, attributes in API.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        modules[name] = module
    for name, module in modules.items():
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(modules[parent], child, module)
    with mock.patch.dict(sys.modules, modules):
        namespace = runpy.run_path(str(path))
        return namespace["generate_launch_description"]()


# ------------------------------------------------------------------- evaluation
def evaluate(value, args: Mapping[str, str]) -> str:
    """A substitution (or text, or a list of them) as launch would evaluate it."""
    if isinstance(value, str):
        return value
    if isinstance(value, LaunchConfiguration):
        if value.name not in args:
            raise KeyError(f"launch configuration '{value.name}' is not a declared argument")
        return args[value.name]
    if isinstance(value, PathJoinSubstitution):
        return os.path.join(*(evaluate(p, args) for p in value.parts))
    if isinstance(value, FindPackageShare):
        return f"{SHARE}{value.package}"
    if isinstance(value, EqualsSubstitution):
        return str(evaluate(value.left, args) == evaluate(value.right, args)).lower()
    if isinstance(value, ParameterValue):
        return evaluate(value.value, args)
    if isinstance(value, (list, tuple)):
        return "".join(evaluate(v, args) for v in value)
    if isinstance(value, (bool, int, float)):
        return str(value)
    raise TypeError(f"cannot evaluate {value!r}")


def check_launch_file(path: Path) -> list[str]:
    """Everything wrong with one launch file (empty: it passes)."""
    try:
        description = load(path)
    except Exception as err:  # any failure to load is the finding
        return [f"{path.name}: cannot be loaded with Jazzy's launch API: {err!r}"]
    problems: list[str] = []
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    arguments = [e for e in description.entities if isinstance(e, DeclareLaunchArgument)]
    nodes = [e for e in description.entities if isinstance(e, Node)]
    for entity in description.entities:
        if not isinstance(entity, (DeclareLaunchArgument, Node)):
            problems.append(f"unsupported entity {entity!r}: keep launch files to args and nodes")
    for arg in arguments:
        problems += _argument_problems(arg, docstring)
    choices = [a for a in arguments if a.choices]
    defaults = {a.name: a.default_value for a in arguments}
    combinations = list(itertools.product(*(a.choices for a in choices)))
    found: dict[str, list[str]] = {}  # problem -> the argument values it shows up with
    for combination in combinations:
        chosen = {a.name: v for a, v in zip(choices, combination, strict=True)}
        args = {**defaults, **chosen}
        for node in nodes:
            try:
                node_problems = _node_problems(node, args)
            except (KeyError, TypeError) as err:
                node_problems = [f"node '{node.name}': {err.args[0]}"]
            for problem in node_problems:
                found.setdefault(problem, []).append(
                    " ".join(f"{k}:={v}" for k, v in chosen.items())
                )
    for problem, where in found.items():
        some = len(where) < len(combinations)
        problems.append(f"{problem} (with {where[0]})" if some else problem)
    return problems


def _argument_problems(arg: DeclareLaunchArgument, docstring: str) -> list[str]:
    problems = []
    where = f"argument '{arg.name}'"
    if arg.default_value is None:
        problems.append(f"{where} has no default value")
    if not arg.description:
        problems.append(f"{where} has no description")
    if f"{arg.name}:=" not in docstring:
        problems.append(f"{where} is not documented in the file's docstring as {arg.name}:=")
    if arg.choices is not None and arg.default_value not in arg.choices:
        problems.append(f"{where}: default '{arg.default_value}' is not in {arg.choices}")
    return problems


def _node_problems(node: Node, args: dict[str, str]) -> list[str]:
    where = f"node '{node.name}'"
    if node.condition is not None:
        predicate = evaluate(node.condition.predicate, args).lower()
        if predicate not in BOOLEAN:
            return [f"{where}: condition evaluates to '{predicate}', not true/false"]
        if (predicate in ("true", "1")) == node.condition.negate:
            return []  # not launched with these arguments
    problems = []
    package, executable = evaluate(node.package or "", args), evaluate(node.executable, args)
    if package != package_name():
        problems.append(f"{where}: package '{package}' is not the workspace's ({package_name()})")
    scripts = console_scripts()
    if executable not in scripts:
        problems.append(
            f"{where}: executable '{executable}' is not a console script of setup.py "
            f"(it has: {', '.join(sorted(scripts))})"
        )
        return problems
    if node.name is None or node.namespace is None:
        problems.append(
            f"{where}: give name= and namespace= so its dict parameters override its YAML"
        )
    name = evaluate(node.name or "", args)
    declared, computed = declared_parameters(scripts[executable].split(":")[0])
    for item in node.parameters:
        if isinstance(item, Mapping):
            for key, value in item.items():
                evaluate(value, args)  # every substitution in it must resolve
                if key not in declared and not computed:
                    problems.append(f"{where}: parameter '{key}' is not declared by {executable}")
        else:
            problems += _parameter_file_problems(item, args, where, name, declared, computed)
    return problems


def _parameter_file_problems(item, args, where, name, declared, computed) -> list[str]:
    if isinstance(item, (list, tuple)) and not all(
        isinstance(part, (str, Substitution)) for part in item
    ):
        return [f"{where}: a parameter file path must be text and substitutions, not {item!r}"]
    path = evaluate(item, args)
    if not path.startswith(SHARE):
        return [f"{where}: parameter file {path} does not come from FindPackageShare"]
    installed = path[1:]
    source = installed_files().get(installed)
    if source is None:
        return [f"{where}: parameter file {installed} is not installed by setup.py"]
    if not source.exists():
        return [f"{where}: parameter file {source} does not exist"]
    try:
        doc = yaml.safe_load(source.read_text())
    except yaml.YAMLError as err:
        return [f"{where}: parameter file {source} does not parse: {err}"]
    if not isinstance(doc, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("ros__parameters"), dict) for v in doc.values()
    ):
        return [f"{where}: {source.name} is not `node: {{ros__parameters: {{...}}}}` throughout"]
    section = doc.get(name, doc.get(f"/{name}", {})).get("ros__parameters", {})
    if computed:
        return []
    return [
        f"{where}: {source.name} sets '{key}', which {name} does not declare"
        for key in _flatten(section)
        if key not in declared
    ]


def _flatten(params: dict, prefix: str = "") -> list[str]:
    """Nested YAML maps are dotted parameter names in ROS 2."""
    out = []
    for key, value in params.items():
        if isinstance(value, dict):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}")
    return out
