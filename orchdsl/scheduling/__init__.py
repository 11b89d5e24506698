"""Schedules at work: fire times (``schedule``), the table of every loaded schedule
(``table``), the clock it sleeps on (``clock``), the files it watches (``watch``), how one
scheduled job runs (``jobs``) and the daemon that ties them together (``daemon``)."""
