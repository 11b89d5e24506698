"""The dashboard in a real headless Chromium (Selenium), against a real ``orchdsl serve`` and a
store filled by real runs: what each page shows, the Gantt bars against the attempts' times,
live logs without a reload, re-run failed, run now and cancel, times in the viewer's zone,
an accessibility smoke check. Screenshots go to build/test-artifacts/web (webtools.ARTIFACTS).
"""

from __future__ import annotations

import re

import pytest

from webfixtures import SECRET, fill
from webtools import (Server, request, screenshot, start_browser, stop_browser, wait_for)

pytestmark = pytest.mark.slow

ZONE = "Asia/Kathmandu"  # +05:45 all year: no page can pass for UTC by chance


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    return fill(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def server(filled):
    served = Server(filled.folder, "--store", filled.store, env={"API_KEY": SECRET})
    yield served
    assert served.stop() == 0


@pytest.fixture(scope="module")
def browser():
    driver = start_browser(ZONE)
    yield driver
    stop_browser(driver)


def api(server, path):
    return request(server.url + path).json()


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_of(driver, selector) -> str:
    return " ".join(e.text for e in css(driver, selector))


def test_the_orchestrations_page_shows_each_served_file(server, filled, browser):
    browser.get(server.url + "/")
    row = css(browser, f'tr[data-file="{filled.daily}"]')[0]
    assert "Daily sales" in row.text and "Sales from the CRM, every morning" in row.text
    assert len(row.find_elements("css selector", "time")) == 1 + 3  # last job, 3 fires
    assert "error" in row.find_element("css selector", ".badge").text
    assert len(row.find_elements("css selector", "svg.spark rect")) == 1
    timing = css(browser, f'tr[data-file="{filled.timing}"]')[0]
    assert "no schedule" in timing.text and "success" in timing.text
    screenshot(browser, "orchestrations")


def test_the_jobs_page_lists_and_filters_the_jobs(server, filled, browser):
    browser.get(server.url + "/jobs")
    ids = [int(r.get_attribute("data-job")) for r in css(browser, "tr[data-job]")]
    assert ids[:2] == [filled.timing_job, filled.failed_job]
    screenshot(browser, "jobs")
    from selenium.webdriver.support.ui import Select

    Select(css(browser, "#f-state")[0]).select_by_value("error")
    css(browser, "form.filters button")[0].click()
    wait_for(lambda: "state=error" in browser.current_url, what="the filtered page")
    assert [int(r.get_attribute("data-job")) for r in css(browser, "tr[data-job]")] == \
        [filled.failed_job]


def test_the_job_page_shows_tasks_attempts_reasons_outputs_and_deliveries(server, filled,
                                                                          browser):
    browser.get(server.url + f"/jobs/{filled.failed_job}")
    record = api(server, f"/api/jobs/{filled.failed_job}")["job"]
    rows = {r.get_attribute("data-task"): r for r in css(browser, "tr.task")}
    assert list(rows) == [t["name"] for t in record["tasks"]]
    for task in record["tasks"]:
        assert rows[task["name"]].get_attribute("data-state") == task["state"]
        assert len(rows[task["name"]].find_elements("css selector", "rect.bar")) == \
            len(task["attempts"])
    load = rows["load"].text
    assert "failed" in load and " 2 " in f" {load} " and "3" in load and "exit code 3" in load
    assert "rows = 12" in rows["crm"].text and "token = ***" in rows["crm"].text
    assert 'when params.mode == "full": false' in rows["full"].text
    assert "regions.eu" in rows and "regions.us" in rows
    phases = [p.get_attribute("data-phase") for p in css(browser, "tr.phase-summary")]
    assert phases == ["Extract", "Load"]
    assert "2 succeeded 1 failed 1 skipped" in text_of(browser,
                                                       'tr.phase-summary[data-phase="Load"]')
    deliveries = text_of(browser, "table.deliveries")
    assert f"http://127.0.0.1:{filled.hook_port}/hook" in deliveries and "delivered" in \
        deliveries
    assert SECRET not in browser.page_source
    screenshot(browser, "job")


def test_gantt_bars_follow_the_attempts_times(server, filled, browser):
    from datetime import datetime

    browser.get(server.url + f"/jobs/{filled.timing_job}")
    job = api(server, f"/api/jobs/{filled.timing_job}")["job"]
    moment = datetime.fromisoformat
    start, end = moment(job["started_at"]), moment(job["finished_at"])
    span = (end - start).total_seconds()
    boxes = browser.execute_script("""
        const found = {};
        for (const row of document.querySelectorAll('tr.task')) {
            const track = row.querySelector('td.bars svg').getBoundingClientRect();
            found[row.dataset.task] = [...row.querySelectorAll('rect.bar')].map(r => {
                const b = r.getBoundingClientRect();
                return [(b.left - track.left) / track.width, b.width / track.width];
            });
        }
        return found;""")
    attempts = {t["name"]: t["attempts"][0] for t in job["tasks"]}
    assert set(boxes) == {"quick", "slow", "middle"}
    for name, attempt in attempts.items():
        (left, width), = boxes[name]
        began = (moment(attempt["started_at"]) - start).total_seconds() / span
        took = (moment(attempt["finished_at"]) - moment(attempt["started_at"])).total_seconds()
        assert abs(left - began) < 0.01, (name, left, began)
        assert abs(width - took / span) < 0.01, (name, width, took / span)
    by_start = sorted(attempts, key=lambda n: attempts[n]["started_at"])
    by_left = sorted(boxes, key=lambda n: boxes[n][0][0])
    assert by_left[-1] == by_start[-1] == "middle"  # the second phase starts after the first
    assert boxes["quick"][0][1] < boxes["middle"][0][1] < boxes["slow"][0][1]
    assert boxes["middle"][0][0] >= boxes["slow"][0][0] + boxes["slow"][0][1] - 0.005
    screenshot(browser, "gantt")


def test_times_are_in_the_viewers_zone_with_utc_on_hover(server, filled, browser):
    browser.get(server.url + f"/jobs/{filled.failed_job}")
    times = css(browser, "dl.facts time")
    assert times
    for element in times:
        assert element.get_attribute("title").endswith(" UTC")
        assert "GMT+5:45" in element.text, element.text
        assert element.text != element.get_attribute("title")


def test_the_graph_is_coloured_by_the_jobs_task_states(server, filled, browser):
    browser.get(server.url + f"/jobs/{filled.failed_job}/graph")
    states = browser.execute_script("""
        const found = {};
        for (const node of document.querySelectorAll('figure.graph g.node.task')) {
            const state = [...node.classList].find(c => c.startsWith('st-'));
            found[node.querySelector('title').textContent] = state;
        }
        return found;""")
    assert states == {"crm": "st-succeeded", "sheet": "st-succeeded", "load": "st-failed",
                      "regions.eu": "st-succeeded", "regions.us": "st-succeeded",
                      "full": "st-skipped"}
    drawn = text_of(browser, "figure.graph")
    assert 'when params.mode == "full"' in drawn and "region=eu" in drawn
    screenshot(browser, "graph")


def test_a_running_jobs_log_page_shows_new_lines_without_a_reload(server, filled, browser):
    done = filled.run(filled.live, "--detach")
    assert done.code == 0, done.stderr
    job_id = int(re.search(r"job (\d+)", done.stdout).group(1))
    browser.get(server.url + f"/jobs/{job_id}/logs")
    assert css(browser, "#live"), "a running job's logs page follows it"
    browser.execute_script("window.stillTheSamePage = true;")

    def ticks():
        return re.findall(r"tick \d+", text_of(browser, "#logs"))

    first = wait_for(lambda: len(ticks()) >= 2 and ticks(), what="the first lines")
    assert len(first) < 10, "the job must still be running while lines arrive"
    wait_for(lambda: len(ticks()) > len(first), what="lines printed after the page loaded")
    screenshot(browser, "logs-live")
    wait_for(lambda: "The job ended: success" in text_of(browser, "#live"), timeout=40,
             what="the end of the job")
    assert ticks() == [f"tick {i}" for i in range(1, 11)]  # each line once, in order
    assert browser.execute_script("return window.stillTheSamePage === true")
    assert "success" in text_of(browser, "#job-state")


def test_rerun_failed_starts_a_job_linked_to_the_failed_one(server, filled, browser):
    browser.get(server.url + f"/jobs/{filled.failed_job}")
    [button] = [b for b in css(browser, "form.action button") if b.text == "Re-run failed"]
    button.click()
    wait_for(lambda: re.search(r"/jobs/(\d+)$", browser.current_url)
             and not browser.current_url.endswith(f"/jobs/{filled.failed_job}"),
             what="the new job's page")
    new_id = int(browser.current_url.rsplit("/", 1)[1])
    job = wait_for(lambda: (j := api(server, f"/api/jobs/{new_id}")["job"])["finished_at"] and j,
                   what="the re-run to end")
    assert job["rerun_of"] == filled.failed_job and job["trigger"] == "rerun"
    tasks = {t["name"]: t for t in job["tasks"]}
    assert tasks["crm"]["state"] == "skipped"
    assert tasks["crm"]["reason"] == f"succeeded in job {filled.failed_job}"
    assert tasks["load"]["state"] == "failed" and len(tasks["load"]["attempts"]) == 2
    browser.refresh()
    assert f"re-runs job {filled.failed_job}" in text_of(browser, "dl.facts")


def test_run_now_then_cancel_from_the_browser(server, filled, browser):
    browser.get(server.url + "/")
    row = css(browser, f'tr[data-file="{filled.sleeper}"]')[0]
    row.find_element("css selector", "form.action button").click()
    wait_for(lambda: re.search(r"/jobs/\d+$", browser.current_url), what="the job's page")
    job_id = int(browser.current_url.rsplit("/", 1)[1])
    wait_for(lambda: api(server, f"/api/jobs/{job_id}")["job"]["state"] == "processing",
             what="the job to run")
    browser.get(server.url + f"/jobs/{job_id}")
    [cancel] = [b for b in css(browser, "form.action button") if b.text == "Cancel"]
    cancel.click()
    job = wait_for(lambda: (j := api(server, f"/api/jobs/{job_id}")["job"])["state"]
                   == "cancelled" and j, timeout=40, what="the job to be cancelled")
    assert job["trigger"] == "manual" and job["file"] == str(filled.sleeper)
    assert "dashboard" in (job["reason"] or "")


# -- accessibility smoke ------------------------------------------------------------------

STATES = ("waiting", "processing", "success", "warning", "error", "cancelled", "terminated",
          "skipped", "pending", "running", "succeeded", "failed", "disabled")


def _rgb(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", text)[:3])


def contrast(a: str, b: str) -> float:
    """WCAG 2.1's contrast ratio of two CSS colours (rgb(...) or #rrggbb)."""
    def luminance(colour):
        values = (_rgb(colour) if colour.startswith("rgb") else
                  tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)))
        linear = [v / 255 / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4
                  for v in values]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_state_colours_have_enough_contrast(server, browser):
    """Badge text against its background at least 4.5:1; bars and sparks against the page at
    least 3:1 (WCAG 2.1, 1.4.3 and 1.4.11), as the browser computes them from style.css."""
    browser.get(server.url + "/jobs")
    found = browser.execute_script("""
        const out = {};
        const page = getComputedStyle(document.body).backgroundColor;
        const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
        document.body.appendChild(svg);
        const plain = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
        svg.appendChild(plain);
        out[''] = getComputedStyle(plain).fill;
        for (const state of arguments[0]) {
            const badge = document.createElement('span');
            badge.className = 'badge st-' + state;
            badge.textContent = state;
            document.body.appendChild(badge);
            const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
            rect.setAttribute('class', 'fill-' + state);
            svg.appendChild(rect);
            const b = getComputedStyle(badge), r = getComputedStyle(rect);
            out[state] = [b.color, b.backgroundColor, r.fill, page];
        }
        return out;""", list(STATES))
    unstyled = found.pop("")
    for state, (colour, background, bar, page) in found.items():
        assert contrast(colour, background) >= 4.5, (state, colour, background)
        if state not in ("disabled",):  # a disabled task has no bar
            assert bar != unstyled, f"no fill-{state} in style.css"
            assert contrast(bar, page) >= 3, (state, bar)
    from orchdsl.web.graph import FILLS

    for state, node in FILLS.items():  # graph nodes: Graphviz's black text on their fill
        assert contrast("#000000", node) >= 4.5, state


def test_every_page_passes_an_accessibility_smoke_check(server, filled, browser):
    pages = ["/", "/jobs", f"/jobs/{filled.failed_job}", f"/jobs/{filled.failed_job}/graph",
             f"/jobs/{filled.failed_job}/logs", f"/orchestration?file={filled.daily}"]
    for path in pages:
        browser.get(server.url + path)
        problems = browser.execute_script("""
            const problems = [];
            if (!document.documentElement.lang) problems.push('no lang');
            if (document.querySelectorAll('h1').length !== 1) problems.push('not one h1');
            if (!document.title.trim()) problems.push('no title');
            for (const c of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
                const label = c.id && document.querySelector('label[for="' + c.id + '"]');
                if (!label && !c.getAttribute('aria-label')) problems.push('unlabelled ' + c.outerHTML.slice(0, 60));
            }
            for (const b of document.querySelectorAll('button, a')) {
                if (!b.textContent.trim() && !b.getAttribute('aria-label') && !b.querySelector('title'))
                    problems.push('nameless ' + b.outerHTML.slice(0, 60));
            }
            for (const s of document.querySelectorAll('svg[role=img]')) {
                if (!s.getAttribute('aria-label') && !s.querySelector(':scope > title'))
                    problems.push('svg without a name');
            }
            for (const t of document.querySelectorAll('table')) {
                if (!t.querySelector('th')) problems.push('table without headers');
            }
            return problems;""")
        assert problems == [], (path, problems)
