"""The core, which imports nothing else of the package.

- ``ops``: the op table, every operation declared once (forward, derivative rule, symbol);
- ``mathspace``: the namespaces the rules run in (floats, arrays, graph nodes);
- ``autograd``: the one backward walk, grad modes, hooks, anomaly mode, in-place checks;
- ``value`` and ``tensor``: the two node types, ``Value`` (a float) and ``Tensor`` (numpy);
- ``functional``: ``jacobian``, ``hessian``, ``hvp``;
- ``checks``: argument and saved-state checks shared by the layers above.
"""
