// The course book's reader fixes (added to every page by tools/book_fixes.py).
//
// The solution drop-downs (sphinx-exercise + sphinx-togglebutton) open on a click anywhere on their
// title. togglebutton.js only finds its button when the click lands on the title itself, the chevron
// or the button: a click on a link or other markup inside the title threw "ReferenceError: button is
// not defined" and the solution stayed closed (the title's link to its exercise also jumped away;
// tools/book_fixes.py now writes that title as plain text). Here, in the capture phase, before
// togglebutton.js sees it, such a click is turned into a click on the drop-down's own button.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const title = target && target.closest(".admonition.toggle > .admonition-title");
  if (!title || target === title || target.closest(".toggle-button")) return;
  const button = title.querySelector(".toggle-button");
  if (!button) return;
  event.preventDefault();
  event.stopPropagation();
  button.click();
}, true);

// A table still wider than its column on a phone (a Markdown table of formulas: inline math does not
// wrap; a printed table of six columns) scrolls inside its box rather than being squeezed to a letter
// per line: say so above it, as grucourse.display.tables.show_table(scroll=True) does, so the reader
// knows there is more to the right (only on a phone). Checked again when the width changes.
const TABLE_BOXES = "main .pst-scrollable-table-container, main .cell_output .output.text_html";

function markWideTables() {
  // Only on a narrow screen: at desktop width every table must fit (tests/test_browser_layout.py).
  const phone = window.matchMedia("(max-width: 600px)").matches;
  for (const box of document.querySelectorAll(TABLE_BOXES)) {
    if (!box.querySelector("table") || box.closest(".gw-root, .aw-root, .ac-root, .gt-root")) continue;
    if (box.querySelector(":scope > .gc-scrolls")) continue;  // show_table(scroll=True) says it already
    box.classList.remove("gc-scrolls");
    const wide = phone && box.scrollWidth > box.clientWidth + 1;
    const note = box.previousElementSibling;
    const hasNote = note && note.classList.contains("gc-scroll-note");
    box.classList.toggle("gc-scrolls", wide);
    if (wide && !hasNote) {
      const p = document.createElement("p");
      p.className = "gc-scroll-note";
      p.textContent = "This table is wider than the screen: scroll it sideways.";
      box.before(p);
    } else if (!wide && hasNote) {
      note.remove();
    }
  }
}
function markWideTablesWhenTypeset() {
  const typeset = window.MathJax && MathJax.startup && MathJax.startup.promise;
  (typeset || Promise.resolve()).then(markWideTables);
}
// After "load" MathJax (an async script) is there, and its startup promise ends with the typesetting.
if (document.readyState === "complete") {
  markWideTablesWhenTypeset();
} else {
  window.addEventListener("load", markWideTablesWhenTypeset);
}
window.addEventListener("resize", markWideTables);
