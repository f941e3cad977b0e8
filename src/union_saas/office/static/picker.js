// The addressing tree of notices and tasks (office/_to_field.html): the filter box hides the unions whose
// name does not match (their ancestors stay, opened), ticking a union chooses "the unions ticked below", and a
// union listed twice (tree and search results) is ticked in both. Without this script the "Find" button opens
// the form again with the matches, and the boxes are sent as ticked.
(() => {
  const wire = (box) => {
    const filter = box.querySelector("[data-picker-filter]");
    const tree = box.querySelector("[data-picker-tree]");
    const empty = box.querySelector("[data-picker-empty]");
    const list = box.querySelector("[data-picker-list]");
    const count = box.querySelector("[data-picker-count]");
    const find = box.querySelector("[data-picker-find]");
    const truncated = box.dataset.truncated === "true";
    const boxes = () => Array.from(box.querySelectorAll('input[name="to_union"]'));

    const recount = () => {
      const ticked = new Set(boxes().filter((b) => b.checked).map((b) => b.value));
      if (count) {
        const text = ticked.size === 1 ? count.dataset.one : count.dataset.many.replace("99999", String(ticked.size));
        count.textContent = text;
      }
    };

    const show = (li, text) => {
      const own = (li.dataset.name || "").includes(text);
      let below = false;
      li.querySelectorAll(":scope > details > ul > li").forEach((child) => { if (show(child, text)) below = true; });
      const visible = !text || own || below;
      li.hidden = !visible;
      const details = li.querySelector(":scope > details");
      if (details && text && below) details.open = true;
      return visible;
    };

    const apply = () => {
      if (!tree) return;
      const text = filter.value.trim().toLowerCase();
      let any = false;
      tree.querySelectorAll(":scope > li").forEach((li) => { if (show(li, text)) any = true; });
      if (empty) empty.hidden = any || !text;
    };

    if (filter) {
      filter.addEventListener("input", apply);
      filter.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") return;
        event.preventDefault();  // Enter filters here; it never sends the notice
        if (truncated && find) find.click();  // a larger tree than shown: ask the server
      });
    }
    box.addEventListener("change", (event) => {
      const input = event.target;
      if (input.name !== "to_union") return;
      boxes().forEach((b) => { if (b !== input && b.value === input.value) b.checked = input.checked; });
      if (input.checked && list) list.checked = true;
      recount();
    });
    // Enter in another field of the form sends it with its own button, not with "Find" (the first one).
    const form = box.closest("form");
    if (form) {
      form.addEventListener("keydown", (event) => {
        const el = event.target;
        if (event.key !== "Enter" || el === filter || el.tagName !== "INPUT" || el.type === "submit") return;
        const send = form.querySelector("button.primary[type=submit]");
        if (send) { event.preventDefault(); form.requestSubmit(send); }
      });
    }
    recount();
    if (filter && filter.value) apply();
  };
  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-picker]").forEach(wire));
})();
