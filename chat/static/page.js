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
})();
