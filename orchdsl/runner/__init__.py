"""Running a plan: trio tasks and subprocesses, states, attempts, output, events.

``engine`` decides what runs when; ``processes`` and ``calls`` run one attempt of a task;
``model`` holds the states and results a job leaves behind.
"""
