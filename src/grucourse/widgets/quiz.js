// Front end of the course's multiple-choice quiz (an anywidget ES module, shipped inside grucourse).
// The questions arrive as HTML written by grucourse (math as <i>/<sub> markup, so nothing has to be
// typeset or downloaded); a click on an option shows its feedback, in JupyterLab and on the static page.

function el(tag, cls, html) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (html !== undefined) e.innerHTML = html;
  return e;
}

function render({ model, el: root }) {
  const box = el("div", "gq-quiz");
  const questions = model.get("questions") || [];
  questions.forEach((q, qi) => {
    const block = el("fieldset", "gq-question");
    block.appendChild(el("legend", "gq-prompt", `${qi + 1}. ${q.question}`));
    const options = el("div", "gq-options");
    const feedback = el("div", "gq-feedback");
    feedback.setAttribute("role", "status");
    feedback.setAttribute("aria-live", "polite");
    q.answers.forEach((a) => {
      const button = el("button", "gq-option", a.answer);
      button.type = "button";
      button.addEventListener("click", () => {
        options.querySelectorAll(".gq-option").forEach((b) => b.classList.remove("gq-chosen"));
        button.classList.add("gq-chosen");
        feedback.className = `gq-feedback ${a.correct ? "gq-correct" : "gq-incorrect"}`;
        feedback.innerHTML = `<b>${a.correct ? "Right" : "Not quite"}.</b> ${a.feedback}`;
      });
      options.appendChild(button);
    });
    block.appendChild(options);
    block.appendChild(feedback);
    box.appendChild(block);
  });
  root.appendChild(box);
}

export default { render };
