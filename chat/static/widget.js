/* citewise widget: one script tag gives any page a launcher and a compact chat with citations.
 *
 *   <script src="http://HOST:PORT/widget.js" defer
 *           data-title="Ask the handbook" data-accent="#0a7d4f" data-position="bottom-left"
 *           data-open="true" data-token="..."></script>
 *
 * The chat runs in an iframe of HOST:PORT/embed: the page's styles cannot reach it, ours cannot
 * leak out (the launcher lives in a shadow root), and the server decides with
 * Content-Security-Policy: frame-ancestors which sites may show it. Nothing loads from elsewhere.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || !script.src || document.querySelector("[data-citewise-widget]")) return;

  const scriptUrl = new URL(script.src, location.href);
  const server = scriptUrl.origin;
  // The chat sits beside widget.js, so a server behind a proxy path (/citewise/widget.js) works too.
  const embedUrl = new URL("embed", scriptUrl);
  const POSITIONS = ["bottom-right", "bottom-left"];
  // A chat that loaded says so at once; silence this long after its frame loads means it was refused.
  const READY_GRACE_MS = 1500;
  const STYLE = `
    :host { all: initial; }
    .launcher, .panel { position: fixed; z-index: 2147483000; }
    .bottom-right { right: 20px; }
    .bottom-left { left: 20px; }
    .launcher {
      bottom: 20px; width: 56px; height: 56px; padding: 0; border: 0; border-radius: 50%;
      display: grid; place-items: center; cursor: pointer; color: #fff; background: var(--accent);
      box-shadow: 0 4px 14px rgba(0, 0, 0, 0.25);
    }
    .launcher:focus-visible { outline: 3px solid var(--accent); outline-offset: 3px; }
    .launcher svg { width: 26px; height: 26px; fill: none; stroke: currentColor; stroke-width: 2;
                    stroke-linecap: round; stroke-linejoin: round; }
    .launcher[aria-expanded="true"] .chat, .launcher[aria-expanded="false"] .close { display: none; }
    .panel {
      bottom: 88px; width: min(380px, calc(100vw - 32px)); height: min(560px, calc(100vh - 112px));
      display: flex; flex-direction: column; overflow: hidden; border-radius: 14px; background: #fff;
      box-shadow: 0 10px 40px rgba(0, 0, 0, 0.28);
    }
    .panel[hidden], iframe[hidden] { display: none; }
    iframe { flex: 1; width: 100%; border: 0; }
    .refused { margin: 0; padding: 18px; font: 14px/1.5 system-ui, sans-serif; color: #1d2430; }
  `;

  function option(name, valid, fallback, expected) {
    const value = script.dataset[name];
    if (value === undefined || value === "") return fallback;
    if (valid(value)) return value;
    console.warn(`citewise widget: ignoring data-${name}=${JSON.stringify(value)}; expected ${expected}.`);
    return fallback;
  }

  const options = {
    title: script.dataset.title || "Ask the documents",
    accent: option("accent", (v) => CSS.supports("color", v), "", "a CSS colour such as #0a7d4f"),
    position: option("position", (v) => POSITIONS.includes(v), POSITIONS[0], POSITIONS.join(" or ")),
    open: option("open", (v) => ["true", "false"].includes(v), "false", "true or false") === "true",
    token: script.dataset.token || "",
  };

  function svg(className, pathData) {
    const namespace = "http://www.w3.org/2000/svg";
    const icon = document.createElementNS(namespace, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("class", className);
    icon.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(namespace, "path");
    path.setAttribute("d", pathData);
    icon.append(path);
    return icon;
  }

  const host = document.createElement("div");
  host.dataset.citewiseWidget = "";
  host.style.setProperty("--accent", options.accent || "#2457d6");
  const root = host.attachShadow({ mode: "open" });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(STYLE);
  root.adoptedStyleSheets = [sheet];

  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = `launcher ${options.position}`;
  launcher.setAttribute("aria-label", options.title);
  launcher.setAttribute("aria-expanded", "false");
  launcher.title = options.title;
  launcher.append(
    svg("chat", "M4 5h16a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H10l-5 4v-4H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1z"),
    svg("close", "M6 6l12 12M18 6L6 18"),
  );
  const panel = document.createElement("div");
  panel.className = `panel ${options.position}`;
  panel.hidden = true;
  root.append(panel, launcher);

  let frame = null;
  let ready = false;
  let refusal = null;
  // Focus moves into the chat only when the reader opened it, never when data-open did.
  let focusWanted = false;

  function frameUrl() {
    const params = new URLSearchParams({ title: options.title });
    if (options.accent) params.set("accent", options.accent);
    if (options.token) params.set("token", options.token);
    // The fragment never reaches the server, so the token stays out of its logs.
    embedUrl.hash = params.toString();
    return embedUrl.href;
  }

  function showRefusal() {
    if (ready || refusal) return;
    // Unreachable is unlikely (this script came from the server), so refusal is the likely cause.
    const message =
      `The chat from ${server} could not be shown on this page: most likely this site (${location.origin}) ` +
      `is not allowed to embed it. An administrator can allow it with: citewise serve --allow-origin ${location.origin}`;
    console.error(`citewise widget: ${message}`);
    refusal = document.createElement("p");
    refusal.className = "refused";
    refusal.setAttribute("role", "alert");
    refusal.textContent = message;
    frame.hidden = true;
    panel.append(refusal);
  }

  function createFrame() {
    frame = document.createElement("iframe");
    frame.title = options.title;
    frame.src = frameUrl();
    frame.addEventListener("load", () => setTimeout(showRefusal, READY_GRACE_MS));
    panel.append(frame);
  }

  function focusChat() {
    if (ready && focusWanted) frame.contentWindow.postMessage({ type: "citewise:focus" }, server);
  }

  function setOpen(open, byReader) {
    if (open && !frame) createFrame();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    focusWanted = open && byReader;
    if (open) focusChat();
    else if (byReader) launcher.focus();
  }

  window.addEventListener("message", (event) => {
    if (!frame || event.source !== frame.contentWindow || event.origin !== server) return;
    const type = event.data && event.data.type;
    if (type === "citewise:ready") {
      ready = true;
      if (refusal) refusal.remove();
      frame.hidden = false;
      focusChat();
    } else if (type === "citewise:close") {
      setOpen(false, true);
    }
  });
  launcher.addEventListener("click", () => setOpen(panel.hidden, true));

  function mount() {
    document.body.append(host);
    if (options.open) setOpen(true, false);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
