"""pipeaudit: audit CRM deal exports against the sales method behind the Monday 过堂."""

__version__ = "0.1.0"
