// citewise chat page: a click on an answer's [n] opens the paragraph it cites.
// Delegated from the document, because Gradio re-renders messages while they stream.
(() => {
  const flash = (element) => {
    element.classList.remove("cw-flash");
    void element.offsetWidth; // restart the animation
    element.classList.add("cw-flash");
  };
  const visible = (element) => element && element.offsetParent !== null;

  document.addEventListener(
    "click",
    (event) => {
      const link = event.target instanceof Element ? event.target.closest("a.cw-cite") : null;
      if (!link) return;
      event.preventDefault();
      event.stopPropagation();
      const id = link.getAttribute("data-cite") || (link.getAttribute("href") || "").slice(1);
      // The inline source under the answer, and its card in the side panel (same n, "p" prefix).
      const inline = document.getElementById(id);
      const card = document.getElementById(id.replace(/^cw-/, "cw-p"));
      // Wide screens show the side panel; phones (and older answers) open the source in place.
      const target = visible(card) ? card : inline;
      if (!target) return;
      target.open = true;
      target.scrollIntoView({ behavior: "smooth", block: "nearest" });
      flash(target);
    },
    true,
  );

  // Phones: a new answer (or notice) scrolls into view when it first appears, and again when its
  // sources arrive with its last sentence (the chat could not scroll that far while it was short).
  // Gradio follows a new message only while the chat is scrolled to its end, and an opened source
  // (a click on [n], or a paragraph unfolded) scrolls it away from there: the answer came unseen.
  const narrow = window.matchMedia("(max-width: 820px)");
  const seen = new Map(); // answer -> whether it was seen complete (with its sources)
  let started = false;
  let pending = false;
  const showNewest = () => {
    pending = false;
    const answers = document.querySelectorAll("#cw-chat .cw-answer");
    const newest = answers[answers.length - 1];
    let moved = false;
    answers.forEach((answer, i) => {
      // Answers keep their id while they stream (re-rendered each sentence); notices have none.
      const key = answer.id || `notice ${i} ${answer.textContent}`;
      const complete = answer.querySelector(".cw-sources") !== null;
      const was = seen.get(key); // undefined: new; false: seen without its sources; true: seen complete
      if (answer === newest && (was === undefined || (complete && was === false))) moved = true;
      seen.set(key, was === true || complete);
    });
    if (moved && started && narrow.matches) follow();
    started = true;
  };
  // Gradio scrolls the chat to its end after it renders, later on a busy machine than on an idle
  // one: for a moment after the answer arrives, any scroll not made by the reader brings the
  // answer's first line back to the top. A touch, wheel or key ends that moment at once.
  const FOLLOW_MS = 1500;
  let followUntil = 0;
  const alignNewest = () => {
    if (Date.now() > followUntil) return;
    const answers = document.querySelectorAll("#cw-chat .cw-answer");
    const newest = answers[answers.length - 1];
    const box = newest && newest.closest(".bubble-wrap");
    if (!box) return;
    const offset = newest.getBoundingClientRect().top - box.getBoundingClientRect().top;
    if (Math.abs(offset) > 2) newest.scrollIntoView({ block: "start" });
  };
  const follow = () => {
    followUntil = Date.now() + FOLLOW_MS;
    setTimeout(alignNewest, 60);
  };
  const stopFollowing = () => {
    followUntil = 0;
  };
  ["wheel", "touchstart", "pointerdown", "keydown"].forEach((type) =>
    document.addEventListener(type, stopFollowing, { capture: true, passive: true }),
  );
  // Scroll events do not bubble; caught on the way down, they come from every scrolling box.
  document.addEventListener("scroll", () => requestAnimationFrame(alignNewest), { capture: true, passive: true });
  new MutationObserver(() => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(showNewest);
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
