#!/usr/bin/python3
"""A small Chrome DevTools Protocol driver for the web UI tests: no Playwright, no npm.

Why: the web UI must be checked in a real browser in CI, offline, with only Debian
packages (chromium, python3-websocket). Each command is one short process that attaches
to the browser's first page over the DevTools WebSocket, does one thing and exits, so a
test (in any language) drives the browser with plain command lines; the browser keeps the
page, its cookies and its live connections between commands.

  cdp.py launch PROFILE_DIR                 start headless Chromium; prints {"pid":…, "port":…}
  cdp.py --port P open URL                  navigate and wait for the load to finish
  cdp.py --port P wait SELECTOR [--text RE] [--gone] [--timeout S]
  cdp.py --port P click SELECTOR            a real mouse click at the element's centre
  cdp.py --port P type SELECTOR TEXT        focus, clear, type (input + change events)
  cdp.py --port P select SELECTOR VALUE     choose an <option> by value (change event)
  cdp.py --port P eval JS                   prints the JSON value (promises are awaited)
  cdp.py --port P screenshot FILE [--width W --height H --mobile]   full-page PNG
  cdp.py --port P record FILE               until SIGTERM: every response body, SSE message,
                                            console error and page exception as JSON lines
  cdp.py --port P cookies                   the page's cookies as JSON

Must run under Debian's /usr/bin/python3 (python3-websocket is installed there).
"""

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # python3-websocket (websocket-client)


class CDPError(Exception):
    pass


class Page:
    """One DevTools session on a page target: numbered requests, events kept until read."""

    def __init__(self, port, timeout=30):
        self.port = port
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        pages = [t for t in targets if t.get("type") == "page"]
        if not pages:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
            pages = [json.load(urllib.request.urlopen(request, timeout=10))]
        # Origin suppressed: Chromium refuses DevTools WebSockets from foreign origins.
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error'].get('message')} {message['error'].get('data', '')}".strip())
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True, userGesture=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"JavaScript threw: {text}")
        return result.get("result", {}).get("value")

    def wait_until(self, expression, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CDPError(f"timed out after {timeout:g} s waiting for {what} (page: {self.evaluate('location.href')})")
            time.sleep(0.1)


def js(value):
    return json.dumps(value)


def launch(profile):
    """Starts Chromium in its own session (the test ends it by pid) and reads its DevTools port."""
    os.makedirs(profile, exist_ok=True)
    port_file = os.path.join(profile, "DevToolsActivePort")
    if os.path.exists(port_file):
        os.remove(port_file)
    binary = next((b for b in ("chromium", "chromium-browser") if any(
        os.access(os.path.join(d, b), os.X_OK) for d in os.environ.get("PATH", "/usr/bin").split(":"))), "chromium")
    log = open(os.path.join(profile, "chromium.log"), "wb")
    process = subprocess.Popen(
        [binary, "--headless=new", "--no-sandbox", "--remote-debugging-port=0", f"--user-data-dir={profile}",
         "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--window-size=1280,900", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CDPError(f"chromium exited with {process.returncode}; see {profile}/chromium.log")
        try:
            with open(port_file) as f:
                port = int(f.readline().strip())
            print(json.dumps({"pid": process.pid, "port": port}))
            return
        except (OSError, ValueError):
            time.sleep(0.05)
    process.kill()
    raise CDPError(f"chromium wrote no DevToolsActivePort in 30 s; see {profile}/chromium.log")


def open_url(page, url, timeout):
    page.call("Page.enable")
    result = page.call("Page.navigate", url=url)
    if result.get("errorText"):
        raise CDPError(f"navigating to {url}: {result['errorText']}")
    page.wait_until("document.readyState === 'complete'", timeout, f"{url} to load")
    print(page.evaluate("location.href"))


def wait(page, selector, text, gone, timeout):
    if gone:
        expression = f"!document.querySelector({js(selector)})"
    elif text is None:
        expression = f"!!document.querySelector({js(selector)})"
    else:
        expression = f"(() => {{ const e = document.querySelector({js(selector)}); return !!e && new RegExp({js(text)}).test(e.textContent); }})()"
    page.wait_until(expression, timeout, f"{selector}{' to go' if gone else ''}{'' if text is None else ' matching /' + text + '/'}")
    if not gone:
        print(page.evaluate(f"document.querySelector({js(selector)}).textContent.trim().slice(0, 2000)"))


def box(page, selector, timeout):
    """The element's centre in viewport coordinates, after scrolling it into view."""
    page.wait_until(f"!!document.querySelector({js(selector)})", timeout, selector)
    rect = page.evaluate(f"""(() => {{
        const e = document.querySelector({js(selector)});
        e.scrollIntoView({{block: 'center', inline: 'center'}});
        const r = e.getBoundingClientRect();
        return {{x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width, h: r.height}};
    }})()""")
    if rect["w"] <= 0 or rect["h"] <= 0:
        raise CDPError(f"{selector} is not visible (its box is {rect['w']}×{rect['h']})")
    return rect


def click(page, selector, timeout):
    rect = box(page, selector, timeout)
    # What is under the centre must be the element or inside it, or the click would land elsewhere.
    hit = page.evaluate(f"""(() => {{
        const e = document.querySelector({js(selector)});
        const under = document.elementFromPoint({rect['x']}, {rect['y']});
        return !!under && (under === e || e.contains(under));
    }})()""")
    if not hit:
        under = page.evaluate(f"(() => {{ const u = document.elementFromPoint({rect['x']}, {rect['y']}); return u ? u.outerHTML.slice(0, 200) : 'nothing'; }})()")
        raise CDPError(f"{selector} is covered at its centre by {under}")
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        page.call("Input.dispatchMouseEvent", type=kind, x=rect["x"], y=rect["y"], button="left", clickCount=1 if kind != "mouseMoved" else 0)


def type_text(page, selector, text, timeout):
    box(page, selector, timeout)
    page.evaluate(f"(() => {{ const e = document.querySelector({js(selector)}); e.focus(); e.select && e.select(); e.value = ''; }})()")
    page.call("Input.insertText", text=text)
    page.evaluate(f"document.querySelector({js(selector)}).dispatchEvent(new Event('change', {{bubbles: true}}))")
    value = page.evaluate(f"document.querySelector({js(selector)}).value")
    if value != text:
        raise CDPError(f"{selector} holds {value!r} after typing {text!r}")


def select(page, selector, value, timeout):
    page.wait_until(f"!!document.querySelector({js(selector)})", timeout, selector)
    ok = page.evaluate(f"""(() => {{
        const e = document.querySelector({js(selector)});
        if (![...e.options].some(o => o.value === {js(value)})) return false;
        e.value = {js(value)};
        e.dispatchEvent(new Event('input', {{bubbles: true}}));
        e.dispatchEvent(new Event('change', {{bubbles: true}}));
        return true;
    }})()""")
    if not ok:
        options = page.evaluate(f"[...document.querySelector({js(selector)}).options].map(o => o.value)")
        raise CDPError(f"{selector} has no option {value!r} (options: {options[:20]})")


def screenshot(page, path, width, height, mobile):
    if width:
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=height or 740, deviceScaleFactor=1, mobile=mobile)
        # Let the layout and any resize handlers settle at the new width.
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        time.sleep(0.3)
    try:
        metrics = page.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        view = metrics.get("cssLayoutViewport") or metrics["layoutViewport"]
        clip = {"x": 0, "y": 0, "width": max(view["clientWidth"], 1), "height": min(max(size["height"], view["clientHeight"]), 8000), "scale": 1}
        data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        # The page's width as laid out: wider than the viewport means sideways scrolling on a phone.
        print(json.dumps({"file": path, "viewport": view["clientWidth"], "scrollWidth": page.evaluate("document.documentElement.scrollWidth")}))
    finally:
        if width:
            page.call("Emulation.clearDeviceMetricsOverride")


def record(page, path):
    """Logs what the page receives until SIGTERM: the test searches it for leaks and errors."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    page.call("Network.enable", maxTotalBufferSize=64 << 20, maxResourceBufferSize=16 << 20)
    page.call("Runtime.enable")
    page.call("Log.enable")
    page.ws.settimeout(0.2)
    responses = {}
    with open(path, "a", buffering=1) as out:
        def write(entry):
            out.write(json.dumps(entry) + "\n")

        def body_of(request_id):
            try:
                result = page.call("Network.getResponseBody", requestId=request_id)
                body = result.get("body", "")
                return base64.b64decode(body).decode("latin-1") if result.get("base64Encoded") else body
            except (CDPError, websocket.WebSocketTimeoutException) as error:
                return f"<no body: {error}>"

        def handle(message):
            method, params = message.get("method"), message.get("params", {})
            if method == "Network.responseReceived":
                r = params["response"]
                responses[params["requestId"]] = {"url": r["url"], "status": r["status"], "mime": r.get("mimeType", "")}
            elif method == "Network.loadingFinished" and params["requestId"] in responses:
                entry = responses.pop(params["requestId"])
                entry["kind"] = "response"
                if not entry["url"].startswith("data:"):
                    entry["body"] = body_of(params["requestId"])
                write(entry)
            elif method == "Network.eventSourceMessageReceived":
                write({"kind": "sse", "event": params.get("eventName"), "data": params.get("data")})
            elif method == "Runtime.exceptionThrown":
                write({"kind": "exception", "text": params["exceptionDetails"].get("exception", {}).get("description") or params["exceptionDetails"].get("text")})
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                write({"kind": "console", "type": params["type"], "text": " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))})
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                write({"kind": "log", "level": params["entry"]["level"], "text": params["entry"].get("text"), "url": params["entry"].get("url")})

        write({"kind": "started"})
        while not stop:
            pending, page.events = page.events, []
            for message in pending:
                handle(message)
            try:
                handle(json.loads(page.ws.recv()))
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                break
        # Streams still open (SSE) are written with what is known; their messages are above.
        for entry in responses.values():
            entry["kind"] = "open-response"
            write(entry)
        write({"kind": "stopped"})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, help="the browser's DevTools port (from launch)")
    parser.add_argument("--timeout", type=float, default=20, help="seconds to wait for a page or an element")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("launch").add_argument("profile")
    sub.add_parser("open").add_argument("url")
    w = sub.add_parser("wait")
    w.add_argument("selector")
    w.add_argument("--text")
    w.add_argument("--gone", action="store_true")
    sub.add_parser("click").add_argument("selector")
    t = sub.add_parser("type")
    t.add_argument("selector")
    t.add_argument("text")
    s = sub.add_parser("select")
    s.add_argument("selector")
    s.add_argument("value")
    sub.add_parser("eval").add_argument("expression")
    shot = sub.add_parser("screenshot")
    shot.add_argument("file")
    shot.add_argument("--width", type=int)
    shot.add_argument("--height", type=int)
    shot.add_argument("--mobile", action="store_true")
    sub.add_parser("record").add_argument("file")
    sub.add_parser("cookies")
    args = parser.parse_args()
    try:
        if args.command == "launch":
            return launch(args.profile)
        if args.port is None:
            parser.error("--port is required (the port `launch` printed)")
        page = Page(args.port, timeout=max(args.timeout, 10) + 10)
        if args.command == "open":
            open_url(page, args.url, args.timeout)
        elif args.command == "wait":
            wait(page, args.selector, args.text, args.gone, args.timeout)
        elif args.command == "click":
            click(page, args.selector, args.timeout)
        elif args.command == "type":
            type_text(page, args.selector, args.text, args.timeout)
        elif args.command == "select":
            select(page, args.selector, args.value, args.timeout)
        elif args.command == "eval":
            print(json.dumps(page.evaluate(args.expression)))
        elif args.command == "screenshot":
            screenshot(page, args.file, args.width, args.height, args.mobile)
        elif args.command == "record":
            record(page, args.file)
        elif args.command == "cookies":
            print(json.dumps(page.call("Network.getCookies")["cookies"]))
    except (CDPError, websocket.WebSocketException, OSError) as error:
        print(f"cdp.py {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main() or 0)
