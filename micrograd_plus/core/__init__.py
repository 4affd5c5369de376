"""The core: the op table, the namespaces its rules run in, and (in ``autograd``) the walk."""
