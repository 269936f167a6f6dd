"""`pipeaudit send`: deliver a written report, each rep their own sheet, the managers the summary."""
