"""`edgekit export`: one or more models as a C library for the user's own firmware.

No edgekit runtime goes in: each model gets a public header (NAME.h) with a small API,
its schedule (NAME_model.c, rendered from the same templates/model/ops.c.j2 as `build`'s
model.c through edgekit.codegen.model.model_context), its constants (NAME_data.c), and the
export gets the kernels the models call and their arena(s) (layout.py), plus the files of
one build system (formats.py). docs/export.md is the guide.
"""

from edgekit.export.generate import ExportRequest, ExportResult, export_models

__all__ = ["ExportRequest", "ExportResult", "export_models"]
