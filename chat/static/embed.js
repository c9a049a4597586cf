/* The compact chat inside the widget's iframe; it also works on its own at /embed.
 *
 * Every piece of text from the server or the user enters the page as a text node
 * (textContent, append(string)), never as markup, so a document paragraph holding
 * <script> or <img onerror> is shown as the characters it is and runs nothing.
 */
(() => {
  "use strict";

  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("question");
  const send = document.getElementById("send");
  const framed = window.parent !== window;
  const options = readOptions();
  // The conversation so far, sent with every question so follow-ups ("and when?") make sense.
  const turns = [];
  // Follow-ups are read against the last exchanges only; sending the whole conversation
  // would, after a long chat, outgrow the server's request-size cap (413) for nothing.
  const RECENT_TURNS = 6;

  function readOptions() {
    const params = new URLSearchParams(location.hash.slice(1));
    // The token travels in the fragment so no server log records it; drop it from the address bar too.
    if (location.hash) window.history.replaceState(null, "", location.pathname);
    return { title: params.get("title"), accent: params.get("accent"), token: params.get("token") || "" };
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(node) {
    log.append(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  /** "handbook.pdf, p. 3" ("deck.pptx, slide 2"), or the document alone when it has no pages. */
  function place(citation) {
    if (citation.page == null) return citation.doc;
    return `${citation.doc}, ${/\.pptx$/i.test(citation.doc) ? "slide" : "p."} ${citation.page}`;
  }

  function renderSource(citation) {
    const box = element("blockquote", "source");
    box.dataset.n = String(citation.n);
    const where = [place(citation), citation.section, `paragraph ${citation.paragraph}`].filter(Boolean).join(" · ");
    box.append(element("cite", "", `[${citation.n}] ${where}`));
    const paragraph = element("p");
    // The answer's spans count code points, as the server does; a JS string's indices count UTF-16 units.
    const chars = Array.from(citation.text);
    const piece = (start, end) => chars.slice(start, end).join("");
    let cursor = 0;
    for (const [start, end] of citation.spans || []) {
      paragraph.append(piece(cursor, start), element("mark", "", piece(start, end)));
      cursor = end;
    }
    paragraph.append(piece(cursor));
    box.append(paragraph, sourceLinks(citation));
    return box;
  }

  /** Links to the whole document at the cited paragraph (chat/source_view.py), and a PDF at its page. */
  function sourceLinks(citation) {
    const links = element("div", "open");
    const path = citation.doc.split("/").map(encodeURIComponent).join("/");
    const marks = (citation.spans || []).map(([start, end]) => `${start}-${end}`).join(",");
    const view = `/source/${path}?paragraph=${citation.paragraph}${marks ? `&mark=${marks}` : ""}#p-${citation.paragraph}`;
    const targets = [["open the document", view]];
    if (/\.pdf$/i.test(citation.doc)) targets.push(["the PDF at this page", `/original/${path}${citation.page ? `#page=${citation.page}` : ""}`]);
    targets.forEach(([label, href], position) => {
      const link = element("a", "", label);
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener";
      if (position) links.append(" · ");
      links.append(link);
    });
    return links;
  }

  function toggleSource(bubble, citation) {
    const open = bubble.querySelector(".source");
    const wasThis = open && open.dataset.n === String(citation.n);
    if (open) open.remove();
    if (!wasThis) {
      const source = renderSource(citation);
      bubble.append(source);
      source.scrollIntoView({ block: "nearest" });
    }
    for (const marker of bubble.querySelectorAll(".marker")) {
      marker.setAttribute("aria-expanded", String(!wasThis && marker.dataset.n === String(citation.n)));
    }
  }

  function renderAnswer(answer) {
    const bubble = element("div", answer.answered ? "turn assistant" : "turn assistant refused");
    const text = element("p");
    const cited = new Map(answer.citations.map((citation) => [citation.n, citation]));
    for (const piece of answer.answer.split(/(\[\d+\])/)) {
      const match = /^\[(\d+)\]$/.exec(piece);
      const citation = match && cited.get(Number(match[1]));
      if (!citation) {
        text.append(piece);
        continue;
      }
      const marker = element("button", "marker", `[${citation.n}]`);
      marker.type = "button";
      marker.dataset.n = String(citation.n);
      marker.title = `${place(citation)}, paragraph ${citation.paragraph}`;
      marker.setAttribute("aria-expanded", "false");
      marker.addEventListener("click", () => toggleSource(bubble, citation));
      text.append(marker);
    }
    bubble.append(text);
    return bubble;
  }

  function explain(response, body) {
    const said = typeof body.error === "string" ? body.error : typeof body.detail === "string" ? body.detail : "";
    const status = response.status;
    if (status === 401) {
      return options.token
        ? "The access token was refused. Ask the site admin to update data-token on the widget's script tag."
        : "This chat needs an access token. Ask the site admin to add data-token to the widget's script tag.";
    }
    if (status === 403) return `This site may not use the chat. ${said}`.trim();
    if (status === 429) {
      const wait = response.headers.get("Retry-After");
      return `Too many questions in a short time. Please wait ${wait ? `${wait} seconds` : "a minute"} and ask again.`;
    }
    if (status < 500) return said || `The question was not accepted (error ${status}).`;
    return `The server could not answer (error ${status}). Please try again later.`;
  }

  // The answer arrives as server-sent events: "token" (with "draft", the LLM's text not checked yet), "sentence"
  // (a sentence that passed the check) and last "answer" (the JSON answer). progress(text) shows them.
  async function readAnswer(response, progress) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const checked = [];
    let buffer = "";
    let draft = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const record = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = (record.match(/^event: (.*)$/m) || [])[1];
        const data = (record.match(/^data: (.*)$/m) || [])[1];
        if (!data) continue;
        const payload = JSON.parse(data);
        if (name === "answer") return payload;
        if (name === "sentence") checked.push(payload.sentence);
        else if (name === "token") draft = payload.draft;
        progress([...checked, draft.trim()].filter(Boolean).join(" "));
      }
      if (done) throw new Error("The server stopped before the answer was complete. Please try again.");
    }
  }

  async function ask(question, progress) {
    const headers = { "Content-Type": "application/json", Accept: "text/event-stream, application/json" };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let response;
    try {
      // Relative, so the chat also works when the server sits behind a proxy path.
      response = await fetch("api/ask", {
        method: "POST", headers, credentials: "omit",
        body: JSON.stringify({ question, history: turns.slice(-RECENT_TURNS), stream: true }),
      });
    } catch {
      throw new Error("Cannot reach the citewise server. Check the connection and try again.");
    }
    if (!response.ok) throw new Error(explain(response, await response.json().catch(() => ({}))));
    return readAnswer(response, progress);
  }

  async function submit(event) {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || send.disabled) return;
    const asked = show(element("p", "turn user", question));
    const pending = show(element("p", "turn assistant loading", "Searching the documents"));
    input.value = "";
    send.disabled = true;
    log.setAttribute("aria-busy", "true");
    try {
      // The draft is shown as text (textContent): the model's words are as inert as a document's.
      const answer = await ask(question, (text) => {
        pending.textContent = text;
      });
      pending.replaceWith(renderAnswer(answer));
      turns.push({ role: "user", content: question }, { role: "assistant", content: answer.answer });
    } catch (error) {
      // Nothing is lost: the question goes back into the box, ready to send again.
      asked.remove();
      const notice = element("p", "turn error", error.message);
      notice.setAttribute("role", "alert");
      pending.replaceWith(notice);
      if (!input.value) input.value = question;
    } finally {
      send.disabled = false;
      log.removeAttribute("aria-busy");
      log.scrollTop = log.scrollHeight;
      input.focus();
    }
  }

  if (options.title) {
    document.getElementById("title").textContent = options.title;
    document.title = options.title;
  }
  if (options.accent && CSS.supports("color", options.accent)) {
    document.documentElement.style.setProperty("--accent", options.accent);
  }
  form.addEventListener("submit", submit);
  if (framed) {
    const close = () => window.parent.postMessage({ type: "citewise:close" }, "*");
    const closeButton = document.getElementById("close");
    closeButton.hidden = false;
    closeButton.addEventListener("click", close);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
    });
    window.addEventListener("message", (event) => {
      if (event.source === window.parent && event.data && event.data.type === "citewise:focus") input.focus();
    });
    // Tells widget.js the chat loaded, i.e. this site was allowed to frame it.
    window.parent.postMessage({ type: "citewise:ready" }, "*");
  }
})();
