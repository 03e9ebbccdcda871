"""The notebook in a real browser: headless Chromium, driven over WebDriver by Selenium.

Starts `gpt notebook` on the real chapters (a free port), opens the address it prints, and acts
as a learner would: edits chapter 2's `backward` expression and an input and sees the value, the
gradients and the graph change; adds a Swift cell there, types code, presses Run and sees its
compile error at its line, then fixes it and sees what it prints; changes chapter 3's `n_embd` and sees chapter 4's untrained
attention heatmap change and chapter 5's training step marked stale until its Run button is
pressed. It times each edit from the keystroke to the updated cell, saves screenshots of what it
saw (in $SCREENSHOTS, default /tmp/notebook-screenshots), and exits non-zero on the first failure.

Run with: make browser-test  (which builds `gpt` and sets GPT_BINARY).
"""

import os
import re
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("GPT_BINARY", os.path.join(ROOT, ".build", "debug", "gpt"))
SHOTS = os.environ.get("SCREENSHOTS", "/tmp/notebook-screenshots")


def start_notebook():
    """`gpt notebook` on a free port; returns the process and the address it printed."""
    process = subprocess.Popen([BINARY, "notebook", "--lessons", os.path.join(ROOT, "Lessons"), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
    line = process.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    if not match:
        process.kill()
        raise SystemExit(f"gpt notebook printed no address: {line!r}")
    return process, match.group(1)


def browser():
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                     "--disable-dev-shm-usage"]:
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def cell_of_step(driver, step, nth=0):
    cells = [c for c in driver.find_elements(By.CSS_SELECTOR, ".cell")
             if c.find_element(By.CSS_SELECTOR, ".step-id").text == step]
    return cells[nth]


def wait_for(driver, condition, what, timeout=60):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.02).until(lambda d: condition())
    except Exception:
        shoot(driver, "failed")
        cells = driver.execute_script(
            "return [...document.querySelectorAll('.cell')].map(c => c.id + ' ' + c.className + ' r' + c.dataset.revision).join('; ')")
        raise SystemExit(f"FAILED: {what} (within {timeout} s); screenshot in {SHOTS}/failed.png; cells: {cells}")


def shoot(driver, name):
    os.makedirs(SHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def revision(driver, cell_id):
    return int(driver.execute_script(f"return document.getElementById('cell-{cell_id}').dataset.revision"))


def state(driver, cell_id):
    """The cell's freshness (fresh, stale, running), read in one go: the page replaces cells as they change."""
    return driver.execute_script(
        f"const c = document.getElementById('cell-{cell_id}'); return ['fresh', 'stale', 'running'].find(k => c.classList.contains(k))")


def all_fresh(driver):
    return driver.execute_script("return [...document.querySelectorAll('.cell')].every(c => c.classList.contains('fresh'))")


def edit(driver, field, text):
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text)


def settled(driver):
    """True when no cell is running: a run redraws its cell, and the cells below it that re-run."""
    return driver.execute_script("return ![...document.querySelectorAll('.cell')].some(c => c.classList.contains('running'))")


def again_if_redrawn(action, tries=20):
    """Does `action`, again if the element it found was redrawn (replaced) in between."""
    for attempt in range(tries):
        try:
            return action()
        except StaleElementReferenceException:
            if attempt == tries - 1:
                raise
            time.sleep(0.1)


def swift_cell(driver, after_id, timings):
    """Adds a Swift cell after cell `after_id`, types code with a mistake, runs it and sees the error
    at its line; fixes it, runs it with Ctrl+Enter and sees what it prints, and the graph it shows."""
    count = len(driver.find_elements(By.CSS_SELECTOR, ".cell"))
    driver.find_element(By.CSS_SELECTOR, f"#cell-{after_id} + .add-cell form.add-swift button").click()
    wait_for(driver, lambda: len(driver.find_elements(By.CSS_SELECTOR, ".cell")) == count + 1, "the added Swift cell appears")
    swift_id = driver.execute_script(
        "return [...document.querySelectorAll('.cell')].find(c => c.querySelector('.mark.added') && c.querySelector('.code-box')).dataset.cell")
    wait_for(driver, lambda: state(driver, swift_id) == "fresh", "the new, empty Swift cell has run", timeout=120)
    # The box is found afresh before each use: a run redraws the cell, and the old element goes.
    def area():
        return driver.find_element(By.ID, f"cell-{swift_id}-code")
    # Names of its own: the chapter's Swift cells are one program, and they declare tape, x1, y...
    code = ('let cubeTape = Tape()\nlet u = Value(3, on: cubeTape, label: "u")\nlet cube = u * u * u\ncube.backward()\n'
            'print("d(u^3)/du at 3 is", u.grad)\n')
    wait_for(driver, lambda: settled(driver), "the Swift cells below the new one have run again", timeout=120)
    again_if_redrawn(lambda: edit(driver, area(), code + "print(z)"))
    before = revision(driver, swift_id)
    again_if_redrawn(lambda: driver.find_element(By.CSS_SELECTOR, f"#cell-{swift_id} button.run").click())
    wait_for(driver, lambda: revision(driver, swift_id) > before and state(driver, swift_id) == "fresh"
             and "cannot find 'z' in scope" in driver.find_element(By.ID, f"cell-{swift_id}").text,
             "the Swift cell shows its compile error", timeout=120)
    marked = [e.text for e in driver.find_elements(By.CSS_SELECTOR, f"#cell-{swift_id} .gutter .bad")]
    if marked != ["6"]:
        raise SystemExit(f"FAILED: the error's line is not the one marked in the code box: {marked}")
    if "new Swift cell:6:7: error" not in driver.find_element(By.ID, f"cell-{swift_id}").text:
        raise SystemExit("FAILED: the error does not say its line and column")
    show(driver, swift_id)
    shoot(driver, "chapter-2-swift-error")
    wait_for(driver, lambda: settled(driver), "the Swift cells below have run again", timeout=120)
    again_if_redrawn(lambda: edit(driver, area(), code + "show(cube)"))
    before = revision(driver, swift_id)
    again_if_redrawn(lambda: area().send_keys(Keys.CONTROL, Keys.ENTER))
    pressed = time.time()
    wait_for(driver, lambda: revision(driver, swift_id) > before and state(driver, swift_id) == "fresh"
             and "d(u^3)/du at 3 is 27.0" in driver.find_element(By.ID, f"cell-{swift_id}").text,
             "the Swift cell shows what it printed after Ctrl+Enter", timeout=120)
    timings["swift cell"] = time.time() - pressed
    if area().get_attribute("value") != code + "show(cube)" or not driver.find_elements(By.CSS_SELECTOR, f"#cell-{swift_id} .graph"):
        raise SystemExit("FAILED: the code box lost what was typed, or the cell shows no graph")
    show(driver, swift_id)
    shoot(driver, "chapter-2-swift-cell")
    print(f"swift cell: {timings['swift cell'] * 1000:.0f} ms from Ctrl+Enter to its printed output (a compile and a run)")


def show(driver, cell_id):
    """Scrolls cell `cell_id` to just below the sticky toolbar."""
    driver.execute_script(f"const c = document.getElementById('cell-{cell_id}');"
                          "window.scrollTo(0, c.getBoundingClientRect().top + window.scrollY - 90)")


def main():
    process, address = start_notebook()
    driver = browser()
    timings = {}
    try:
        started = time.time()
        driver.get(address)
        # The first run of every chapter (with the lessons' training run) happens once per server.
        wait_for(driver, lambda: "/s/" in driver.current_url, "the notebook opened a session", timeout=600)
        print(f"first run and session: {time.time() - started:.1f} s")
        session_url = driver.current_url.split("#")[0].rstrip("/")

        # Chapter 2: the backward step, whose inputs the chapter declares once in an inputs step
        # above it. Edit an input there: the backward cell below follows. Then its expression.
        driver.get(session_url + "/chapter/2")
        wait_for(driver, lambda: driver.execute_script("return document.body.dataset.following") == "yes",
                 "the page follows its session's events")
        cell = cell_of_step(driver, "backward")
        cell_id = cell.get_attribute("data-cell")
        inputs_id = cell_of_step(driver, "inputs").get_attribute("data-cell")
        shoot(driver, "chapter-2")
        before = revision(driver, cell_id)
        field = driver.find_element(By.ID, f"cell-{inputs_id}-a")
        edit(driver, field, "5")
        pressed = time.time()
        wait_for(driver, lambda: revision(driver, cell_id) > before,
                 "the backward cell updates after editing a in the inputs cell")
        timings["backward input"] = time.time() - pressed
        text = driver.find_element(By.ID, f"cell-{cell_id}").text
        if "out = -5" not in text or "grad.b = 5" not in text:
            raise SystemExit(f"FAILED: after a: 5 the cell shows {text!r}")
        nodes_before = len(driver.find_elements(By.CSS_SELECTOR, f"#cell-{cell_id} .graph .node"))
        before = revision(driver, cell_id)
        expression = driver.find_element(By.ID, f"cell-{cell_id}-expr")
        edit(driver, expression, "tanh(a*b + c) * a")
        pressed = time.time()  # the last keystroke: typing the expression takes Selenium a while
        wait_for(driver, lambda: revision(driver, cell_id) > before and state(driver, cell_id) == "fresh",
                 "the backward cell updates after editing the expression")
        timings["backward expression"] = time.time() - pressed
        nodes_after = len(driver.find_elements(By.CSS_SELECTOR, f"#cell-{cell_id} .graph .node"))
        if nodes_after <= nodes_before:
            raise SystemExit(f"FAILED: the graph did not grow with the expression ({nodes_before} -> {nodes_after} nodes)")
        shoot(driver, "chapter-2-edited")
        print(f"backward edits: input {timings['backward input'] * 1000:.0f} ms, expression "
              f"{timings['backward expression'] * 1000:.0f} ms from the last keystroke to the updated cell "
              f"(server answered in {driver.execute_script('return document.body.dataset.lastAnswerMs')} ms)")

        # A cell of the learner's own, after that one: their own expression and input.
        count = len(driver.find_elements(By.CSS_SELECTOR, ".cell"))
        adder = driver.find_element(By.CSS_SELECTOR, f"#cell-{cell_id} + .add-cell")
        adder.find_element(By.TAG_NAME, "summary").click()
        adder.find_element(By.CSS_SELECTOR, "select[name=step] option[value=backward]").click()
        adder.find_element(By.TAG_NAME, "button").click()
        wait_for(driver, lambda: len(driver.find_elements(By.CSS_SELECTOR, ".cell")) == count + 1, "the added cell appears")
        added = driver.execute_script("return [...document.querySelectorAll('.cell')].find(c => c.querySelector('.mark.added')).dataset.cell")
        edit(driver, driver.find_element(By.ID, f"cell-{added}-expr"), "x*x*x")
        name = driver.find_element(By.ID, f"cell-{added}-new-input")
        name.send_keys("x")
        value = driver.find_element(By.CSS_SELECTOR, f"#cell-{added} [name=new-input-value]")
        value.send_keys("2", Keys.ENTER)
        wait_for(driver, lambda: "grad.x = 12" in driver.find_element(By.ID, f"cell-{added}").text,
                 "the learner's own cell shows d(x^3)/dx = 12 at x = 2")
        wait_for(driver, lambda: driver.execute_script(f"return !!document.getElementById('cell-{added}-x')"),
                 "the new input x becomes a field of the cell")
        shoot(driver, "chapter-2-added-cell")
        swift_cell(driver, cell_id, timings)

        # Chapter 4's first attention heatmap, before the model changes.
        driver.get(session_url + "/chapter/4")
        heatmap_before = cell_of_step(driver, "attention").find_element(By.CSS_SELECTOR, ".heatmap svg").get_attribute("innerHTML")

        # Chapter 3: a wider model.
        driver.get(session_url + "/chapter/3")
        wait_for(driver, lambda: driver.execute_script("return document.body.dataset.following") == "yes",
                 "chapter 3 follows its session")
        cell = cell_of_step(driver, "model")
        cell_id = cell.get_attribute("data-cell")
        before = revision(driver, cell_id)
        field = driver.find_element(By.ID, f"cell-{cell_id}-n_embd")
        edit(driver, field, "32")
        pressed = time.time()
        embedding_id = cell_of_step(driver, "embedding").get_attribute("data-cell")
        embedding_before = revision(driver, embedding_id)
        wait_for(driver, lambda: revision(driver, cell_id) > before and state(driver, cell_id) == "fresh"
                 and revision(driver, embedding_id) > embedding_before and state(driver, embedding_id) == "fresh",
                 "the model cell and the embedding below it update after n_embd: 32")
        timings["model"] = time.time() - pressed
        shoot(driver, "chapter-3-edited")
        print(f"model edit: {timings['model'] * 1000:.0f} ms from the last keystroke to the updated model and embedding cells")

        driver.get(session_url + "/chapter/4")
        attention_id = cell_of_step(driver, "attention").get_attribute("data-cell")
        wait_for(driver, lambda: state(driver, attention_id) == "fresh", "chapter 4's attention is up to date")
        heatmap_after = cell_of_step(driver, "attention").find_element(By.CSS_SELECTOR, ".heatmap svg").get_attribute("innerHTML")
        if heatmap_after == heatmap_before:
            raise SystemExit("FAILED: chapter 4's heatmap did not change with the model")
        shoot(driver, "chapter-4-after-model-edit")

        # Chapter 5: training waits for Run, then runs with progress.
        driver.get(session_url + "/chapter/5")
        train = cell_of_step(driver, "train")
        train_id = train.get_attribute("data-cell")
        if state(driver, train_id) != "stale" or "Not up to date" not in train.text:
            raise SystemExit(f"FAILED: the training step is not marked stale: {train.text[:200]!r}")
        later = cell_of_step(driver, "complete", 1)
        if state(driver, later.get_attribute("data-cell")) != "stale":
            raise SystemExit("FAILED: the step after training is not marked stale")
        shoot(driver, "chapter-5-stale")
        train.find_element(By.XPATH, ".//button[text()='Run']").click()
        wait_for(driver, lambda: state(driver, train_id) == "running", "the training step shows that it runs", timeout=30)
        wait_for(driver, lambda: "step" in driver.execute_script(
            f"return (document.getElementById('progress-{train_id}') || {{}}).textContent || ''"),
                 "the training step shows its progress", timeout=30)
        shoot(driver, "chapter-5-training")
        wait_for(driver, lambda: state(driver, train_id) == "fresh", "the training step runs when asked", timeout=300)
        wait_for(driver, lambda: all_fresh(driver), "every cell of chapter 5 is up to date after the run", timeout=120)
        shoot(driver, "chapter-5-trained")
        print("browser test passed")
    finally:
        driver.quit()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise SystemExit("FAILED: gpt notebook did not stop within 10 s of SIGTERM")
        if process.returncode not in (0, -15):
            raise SystemExit(f"FAILED: gpt notebook exited with {process.returncode} after SIGTERM")


if __name__ == "__main__":
    main()
