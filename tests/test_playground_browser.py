"""The playground end to end in a real browser: headless Chromium driven by Playwright.

Chromium comes from the system (Debian's ``chromium`` package; ``GLASSNET_CHROMIUM``
overrides the path); Playwright's own browser download is not needed. Every wait has a
timeout, so a broken page fails in seconds instead of hanging the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

CHROMIUM = os.environ.get("GLASSNET_CHROMIUM") or shutil.which("chromium")
if not CHROMIUM:
    pytest.skip("Chromium is not installed (apt-get install chromium, or set GLASSNET_CHROMIUM)",
                allow_module_level=True)
try:
    import websockets  # noqa: F401
except ImportError:
    pytest.importorskip("wsproto", reason="uvicorn serves WebSockets with websockets or wsproto")

TIMEOUT_MS = 20000
LOSS_BOUND = 0.15


@pytest.fixture(scope="module")
def server():
    from glassnet.playground.server import serve_in_thread

    url, stop = serve_in_thread()
    yield url
    stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, timeout=TIMEOUT_MS,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    # bypass_csp: Playwright's wait_for_function evaluates strings, which the page's
    # Content-Security-Policy (script-src 'self') forbids for the page's own scripts
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True,
                              bypass_csp=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


def _wait(page, js: str, timeout: int = TIMEOUT_MS):
    page.wait_for_function(js, timeout=timeout, polling=50)


def test_train_explain_export_in_the_browser(server, page, tmp_path):
    page.goto(f"{server}/?dataset=circle&layers=4,2&lr=0.3", timeout=TIMEOUT_MS)
    _wait(page, "() => window.playground.state !== null")
    assert page.evaluate("window.playground.state.test_loss") > LOSS_BOUND
    assert page.locator("#dataset-circle.selected").count() == 1

    # press play: the test loss the page shows falls below the bound
    page.click("#play")
    # read the number the page shows in the same poll that sees the loss below the bound
    # (training goes on, so a later read can catch a noisier step)
    shown = page.wait_for_function(
        f"() => window.playground.state.test_loss < {LOSS_BOUND} && "
        f"parseFloat(document.getElementById('test-loss').textContent)",
        timeout=30000, polling=50).json_value()
    page.click("#play")  # pause
    _wait(page, "() => !window.playground.state.playing")
    assert shown < LOSS_BOUND * 1.5  # the number on the page, not only the message
    assert page.evaluate("window.playground.updates") >= 5
    assert int(page.inner_text("#epoch")) >= 1
    shot = tmp_path / "playground.png"  # the trained page
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20000

    # add a hidden layer: the network and the URL follow
    page.click("#add-layer")
    _wait(page, "() => window.playground.config.layers.length === 3")
    assert page.locator(".node.neuron").count() == 4 + 2 + 2
    assert "layers=4,2,2" in page.url
    for _ in range(3):
        page.click("#step")
    _wait(page, "() => window.playground.state.steps === 3")

    # click a weight: its chain-rule explanation, equal to autograd
    page.click("#edge-1-1-0")  # layer 1 unit 0 -> layer 2 unit 1: the weight 2.weight[1, 0]
    _wait(page, "() => window.playground.lastExplain && "
                "window.playground.lastExplain.param === '2.weight'")
    text = page.inner_text("#explain")
    assert text.startswith("∂loss/∂2.weight[1, 0]") and "equal" in text
    ex = page.evaluate("window.playground.lastExplain")
    assert ex["index"] == [1, 0] and ex["grad"] == pytest.approx(ex["autograd"], rel=1e-9)
    assert "gradient" in page.inner_text("#explain-numbers")
    # a bias too
    page.click("#bias-3-0")  # the output's bias: 6.bias[0]
    _wait(page, "() => window.playground.lastExplain.param === '6.bias'")
    assert "∂loss/∂6.bias[0]" in page.inner_text("#explain")

    # export: download the script and the weights, run the script
    page.click("#export")
    page.wait_for_selector("#download-script:not(.hidden)")
    assert "import glassnet as gn" in page.inner_text("#script")
    with page.expect_download(timeout=TIMEOUT_MS) as d:
        page.click("#download-script")
    script = tmp_path / d.value.suggested_filename
    d.value.save_as(script)
    with page.expect_download(timeout=TIMEOUT_MS) as d:
        page.click("#download-weights")
    weights = tmp_path / d.value.suggested_filename
    d.value.save_as(weights)
    assert script.name == "playground_model.py" and weights.suffix == ".safetensors"
    out = subprocess.run([sys.executable, str(script), "--weights", str(weights), "--epochs",
                          "1"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    train_loss = float(lines[0].split("train loss ")[1].split(",")[0])
    assert train_loss == pytest.approx(page.evaluate("window.playground.state.train_loss"),
                                       rel=1e-4)
    assert lines[-1].startswith("epoch 1: ")

    assert page.evaluate("window.playground.errors") == []
    assert page.errors == []


def test_dosage_squiggle_and_bad_input_in_the_browser(server, page):
    page.goto(f"{server}/?dataset=dosage", timeout=TIMEOUT_MS)
    _wait(page, "() => window.playground.state && window.playground.state.curves")
    assert page.evaluate("window.playground.state.curves.parts.length") == 2
    # a bad setting typed by the user: the server says what is wrong, the page goes on
    page.fill("#batch", "0")
    page.dispatch_event("#batch", "change")
    page.wait_for_selector("#error:not(.hidden)")
    assert "batch" in page.inner_text("#error")
    page.click("#step")
    _wait(page, "() => window.playground.state.steps === 1")
    assert page.errors == []


def test_every_control_reaches_the_server(server, page):
    page.goto(f"{server}/?dataset=circle&layers=3", timeout=TIMEOUT_MS)
    _wait(page, "() => window.playground.state !== null")
    for name in ("xor", "gauss", "spiral", "plane", "bumps", "iris", "dosage", "circle"):
        page.click(f"#dataset-{name}")
        _wait(page, f"() => window.playground.data.dataset === '{name}' && "
                    f"window.playground.state.heat.length > 0")
    # the dosage preset brought its own network; leaving it brought the defaults back
    assert page.evaluate("window.playground.config.layers") == [4, 2]
    page.click("#feature-x1sq")
    # the server answers a change with the new config first and the new network's state
    # after it, so wait for the state (the page can show the config a moment before)
    _wait(page, "() => window.playground.config.features.includes('x1sq') && "
                "window.playground.state.inputs.length === 3")
    page.select_option("#activation", "relu")
    page.select_option("#optimizer", "adam")
    page.select_option("#lr", "0.1")
    page.select_option("#l2", "0.001")
    _wait(page, "() => window.playground.config.l2 === 0.001 && "
                "window.playground.config.optimizer === 'adam'")
    assert "activation=relu" in page.url and "lr=0.1" in page.url
    page.click("#add-unit-0")
    _wait(page, "() => window.playground.config.layers[0] === 5")
    page.click("#remove-unit-1")
    _wait(page, "() => window.playground.config.layers[1] === 1")
    for n in (1, 0):
        page.click("#remove-layer")
        _wait(page, f"() => window.playground.config.layers.length === {n}")
    assert page.locator(".node.neuron").count() == 0
    box = page.locator("#heatmap").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    _wait(page, "() => window.playground.data.added === 1")
    x1, x2 = page.evaluate("window.playground.data.train[0].slice(-1)[0]")
    assert 2.0 < x1 < 4.0 and 2.0 < x2 < 4.0  # (3, 3) in the plot's coordinates
    page.click("#regenerate")
    _wait(page, "() => window.playground.data.added === 0")
    assert page.evaluate("window.playground.errors") == []
    assert page.errors == []


def test_a_page_from_another_origin_cannot_connect(server, page):
    page.goto("data:text/html,<title>elsewhere</title>", timeout=TIMEOUT_MS)
    ws_url = server.replace("http://", "ws://") + "/ws"
    result = page.evaluate("""(url) => new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.onopen = () => resolve("open");
        ws.onclose = () => resolve("closed");
        setTimeout(() => resolve("timeout"), 10000);
    })""", ws_url)
    assert result == "closed"
