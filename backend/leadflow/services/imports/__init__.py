"""Importing lead files into a campaign: validated like `createLeads`, deduplicated, committed
in batches, recorded, and resumable after an interruption.

- `intake`: the ways in, `preview`, `start` and `run` (and `import_file`, `import_by_name`)
- `rows`: what became of each row, the counts and the report (no database)
- `records`: the import's record: its worker, progress, issues, stored file and end
- `queue`: web imports taking turns, stopping at shutdown
- `resume`: finishing abandoned web imports (the import watchdog)
- `results`: reading imports and their issues, the rejected rows as a file
"""

from leadflow.services.imports.intake import (
    BATCH_SIZE,
    ImportFile,
    ProgressCallback,
    StartedImport,
    import_by_name,
    import_file,
    preview,
    run,
    start,
)
from leadflow.services.imports.queue import WEB_BATCH_SIZE, ImportQueue, ImportStopped
from leadflow.services.imports.records import STALE_AFTER, UNFINISHED
from leadflow.services.imports.results import (
    campaign_imports,
    get_import,
    import_issues,
    latest_imports,
    rejects_language,
    write_rejected_rows,
)
from leadflow.services.imports.resume import abandoned_import_ids, resume_abandoned_imports
from leadflow.services.imports.rows import ImportCounts, ImportReport, RowIssue

__all__ = [
    "BATCH_SIZE",
    "STALE_AFTER",
    "UNFINISHED",
    "WEB_BATCH_SIZE",
    "ImportCounts",
    "ImportFile",
    "ImportQueue",
    "ImportReport",
    "ImportStopped",
    "ProgressCallback",
    "RowIssue",
    "StartedImport",
    "abandoned_import_ids",
    "campaign_imports",
    "get_import",
    "import_by_name",
    "import_file",
    "import_issues",
    "latest_imports",
    "preview",
    "rejects_language",
    "resume_abandoned_imports",
    "run",
    "start",
    "write_rejected_rows",
]
