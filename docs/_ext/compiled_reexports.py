"""Griffe extension for the reference: compiled classes re-exported by assignment.

`airsrt/__init__.py` publishes the compiled classes as ``ActorRef = _core.ActorRef``. Read
statically, that is an attribute whose value is an expression, so the reference would show an
attribute named ``ActorRef`` and nothing about its methods. This extension turns every such
assignment whose value names a class or function that Griffe has loaded (here, the classes of
``airsrt/_core.pyi``) into an alias of it, the same thing ``from airsrt._core import ActorRef``
would have made. The reference then renders the stub's signatures and docstrings under the
public path (``airsrt.ActorRef.tell``), and cross-references to either path resolve.

A stub declares an overloaded method by its ``@overload`` signatures alone (it may not have an
implementation), and Griffe then makes no member for it, so ``ActorRef.ask`` would vanish. Such
a method gets a member here: the last overload's signature, the overloads themselves, and the
docstring written on one of them.

Docstrings name airsrt's classes by their public names (``Raises: MailboxFullError: ...``)
whether or not their module imports them; each module of the package is given those names
(where it has none of its own) so that such types become links to their reference entries.
"""

from __future__ import annotations

from typing import Any

import griffe


class CompiledReexports(griffe.Extension):
    """Makes ``Name = module.Name`` assignments aliases of the named class or function."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        for module in _modules(pkg):
            for name, member in list(module.members.items()):
                if member.is_alias or not member.is_attribute:
                    continue
                value = member.value
                if not isinstance(value, (griffe.ExprAttribute, griffe.ExprName)):
                    continue
                try:
                    target = loader.modules_collection[value.canonical_path]
                except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
                    continue
                if target.is_class or target.is_function:
                    alias = griffe.Alias(name, target, parent=module)
                    module.set_member(name, alias)
            for cls in _classes(module):
                _add_overloaded_members(cls)
        public = [name for name in pkg.exports or () if isinstance(name, str)]
        for module in _modules(pkg):
            for name in public:
                if name not in module.members and name not in module.imports:
                    module.imports[name] = f"{pkg.path}.{name}"


def _add_overloaded_members(cls: griffe.Class) -> None:
    for name, overloads in cls.overloads.items():
        if not overloads or name in cls.members:
            continue
        last = overloads[-1]
        func = griffe.Function(
            name,
            lineno=overloads[0].lineno,
            endlineno=last.endlineno,
            parameters=last.parameters,
            returns=last.returns,
        )
        func.overloads = list(overloads)
        documented = next((f for f in overloads if f.docstring is not None), None)
        cls.set_member(name, func)
        if documented is not None:
            doc = documented.docstring
            func.docstring = griffe.Docstring(
                doc.value,
                lineno=doc.lineno,
                endlineno=doc.endlineno,
                parent=func,
                parser=doc.parser,
                parser_options=doc.parser_options,
            )
            documented.docstring = None


def _classes(module: griffe.Module) -> list[griffe.Class]:
    found: list[griffe.Class] = []
    pending = [c for c in module.classes.values() if not c.is_alias]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(c for c in cls.classes.values() if not c.is_alias)
    return found


def _modules(module: griffe.Module) -> list[griffe.Module]:
    found = [module]
    for member in module.modules.values():
        if not member.is_alias:
            found.extend(_modules(member))
    return found
