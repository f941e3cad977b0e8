// Lazy tenant tree: a node's children are fetched when it is first opened.
document.addEventListener("click", async (event) => {
  const toggle = event.target.closest("button.toggle");
  const more = event.target.closest("button[data-more]");
  if (toggle) {
    if (toggle.getAttribute("aria-busy") === "true") return;  // a second tap while loading
    const item = toggle.closest("li");
    let list = item.querySelector(":scope > ul");
    const open = toggle.getAttribute("aria-expanded") === "true";
    if (!list) {
      toggle.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(toggle.dataset.url, { headers: { Accept: "text/html" } });
        if (!response.ok) return;
        list = document.createElement("ul");
        list.innerHTML = await response.text();
        item.appendChild(list);
      } finally {
        toggle.removeAttribute("aria-busy");
      }
    } else {
      list.hidden = open;
    }
    toggle.setAttribute("aria-expanded", String(!open));
    toggle.textContent = open ? "+" : "−";
  } else if (more) {
    if (more.disabled) return;
    more.disabled = true;
    const item = more.closest("li");
    const response = await fetch(more.dataset.more, { headers: { Accept: "text/html" } });
    if (!response.ok) { more.disabled = false; return; }
    item.insertAdjacentHTML("afterend", await response.text());
    item.remove();
  }
});
