"""``mockmind learn``: an OpenAPI document and a mockmind config inferred from recorded traffic.

The recordings (journal events, HAR files) become ``Exchange`` values (``recordings``); the
inference is pure and works on those alone (``paths``, ``schemas``, ``resources``,
``state_machines``, ``login``, put together by ``learner``); ``command`` reads and writes the
files and draws the progress bar.

Only the requests and answers are used, never what a journal adds about the mock that
answered them (its state moves and entity writes): a recording of a real API has neither.
"""
